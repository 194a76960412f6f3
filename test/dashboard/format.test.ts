// How the dashboard writes amounts: API amounts are integers in the currency's minor units (API.md §1), and not
// every currency has two of them.
import { describe, expect, it } from "vitest";
import { money } from "../../src/dashboard/layout";

describe("money()", () => {
  it("divides by the currency's own minor units: two for EUR, none for JPY, three for KWD", () => {
    expect(money(1250, "EUR")).toBe("12.50 EUR");
    expect(money(1250, "JPY")).toBe("1250 JPY");
    expect(money(1250, "KWD")).toBe("1.250 KWD");
    expect(money(5, "USD")).toBe("0.05 USD");
  });

  it("an amount without a currency stays as it is; no amount is a dash", () => {
    expect(money(1250, null)).toBe("1250");
    expect(money(null, "EUR")).toBe("—");
  });
});
