// The money invariants of the pure pricing, over random vouchers, orders and items — consistent or not, since the
// rules must hold whatever reaches them: 0 ≤ discount ≤ order.amount, total = amount − discount ≥ 0, integers only.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type Discount,
  discountFor,
  evaluate,
  itemsTotal,
  type Order,
  type RedemptionRequest,
  totalAmount,
  type VoucherDefinition,
} from "../../src/domain/voucher-rules";

const MAX_MONEY = 1_000_000_000_000;
const money = (min = 0) => fc.integer({ min, max: MAX_MONEY });
// percent_off is any number from 1 to 100 in the API, not only whole ones.
const percent = fc.oneof(fc.integer({ min: 1, max: 100 }), fc.double({ min: 1, max: 100, noNaN: true }));
const SKUS = ["TSHIRT-M", "MUG", "SOCKS"];
const sku = fc.constantFrom(...SKUS, ...SKUS.map((s) => s.toLowerCase()), "OTHER");

const discount: fc.Arbitrary<Discount> = fc.oneof(
  fc.record({ type: fc.constant("percent" as const), percent_off: percent, max_discount_amount: fc.option(money(1)) }),
  fc.record({ type: fc.constant("amount" as const), amount_off: money(1) }),
  fc.constant({ type: "free_shipping" as const }),
);

const order: fc.Arbitrary<Order> = fc.record(
  {
    amount: fc.oneof(fc.integer({ min: 0, max: 10_000 }), money()),
    shipping_amount: fc.oneof(fc.integer({ min: 0, max: 10_000 }), money()),
    items: fc.array(fc.record({ sku, quantity: fc.integer({ min: 1, max: 100_000 }), unit_price: fc.oneof(fc.integer({ min: 0, max: 10_000 }), money()) }), {
      maxLength: 6,
    }),
  },
  { requiredKeys: ["amount"] },
);

const voucher = fc.record({
  giftCard: fc.boolean(),
  discount,
  balance: fc.oneof(fc.integer({ min: 0, max: 10_000 }), money()),
  skus: fc.option(fc.subarray(SKUS, { minLength: 1 })),
});

function definition(v: { giftCard: boolean; discount: Discount; skus: string[] | null }): VoucherDefinition {
  return {
    id: "vch_TEST",
    teamId: "team_TEST",
    code: "PROPERTY",
    campaignId: null,
    type: v.giftCard ? "gift_card" : "discount",
    discount: v.giftCard ? null : v.discount,
    giftCardAmount: v.giftCard ? MAX_MONEY : null,
    currency: null,
    redemptionLimit: null,
    perCustomerLimit: null,
    rules: { min_order_amount: null, max_order_amount: null, customer_ids: null, skus: v.skus, first_order_only: false },
    startsAt: null,
    expiresAt: null,
    active: true,
    metadata: {},
    createdAt: 0,
    updatedAt: 0,
  };
}

function expectMoneyInvariants(discountAmount: number, amount: number) {
  expect(Number.isInteger(discountAmount)).toBe(true);
  expect(discountAmount).toBeGreaterThanOrEqual(0);
  expect(discountAmount).toBeLessThanOrEqual(amount);
  const total = totalAmount(amount, discountAmount);
  expect(Number.isInteger(total)).toBe(true);
  expect(total).toBe(amount - discountAmount);
  expect(total).toBeGreaterThanOrEqual(0);
}

describe("voucher pricing (property)", () => {
  it("evaluate: any valid answer is a whole discount from 0 to order.amount, within the items, the balance and the voucher's own caps", () => {
    fc.assert(
      fc.property(voucher, order, fc.option(money(1)), (v, o, spend) => {
        const request: RedemptionRequest = { order: o, ...(spend !== null ? { amount: spend } : {}) };
        const result = evaluate(definition(v), { redemptionsCount: 0, giftCardBalance: v.balance }, request, { redemptionsOfVoucher: 0, hasEarlierOrders: false }, 0);
        if (!result.ok) {
          expect(["no_eligible_items", "insufficient_balance"]).toContain(result.reason);
          return;
        }
        const d = result.discountAmount;
        expectMoneyInvariants(d, o.amount);
        // Free shipping discounts the shipping: SKU rules only decide whether it applies.
        const pricedOnItems = v.giftCard || v.discount.type !== "free_shipping";
        if (v.skus && pricedOnItems) {
          const wanted = new Set(v.skus);
          expect(d).toBeLessThanOrEqual(itemsTotal((o.items ?? []).filter((i) => wanted.has(i.sku.toUpperCase()))));
        }
        if (v.giftCard) {
          expect(d).toBeLessThanOrEqual(v.balance);
          if (spend !== null) expect(d).toBeLessThanOrEqual(spend);
          return;
        }
        if (v.discount.type === "amount") expect(d).toBeLessThanOrEqual(v.discount.amount_off);
        if (v.discount.type === "percent" && v.discount.max_discount_amount != null) expect(d).toBeLessThanOrEqual(v.discount.max_discount_amount);
        if (v.discount.type === "free_shipping") expect(d).toBeLessThanOrEqual(o.shipping_amount ?? 0);
      }),
      { numRuns: 3000 },
    );
  });

  it("discountFor: whatever eligible amount it is handed, never more than the eligible amount or the order", () => {
    fc.assert(
      fc.property(discount, order, fc.oneof(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 2 * MAX_MONEY })), (d, o, eligible) => {
        const amount = discountFor(d, eligible, o);
        expectMoneyInvariants(amount, o.amount);
        if (d.type !== "free_shipping") expect(amount).toBeLessThanOrEqual(eligible);
      }),
      { numRuns: 3000 },
    );
  });

  it("the two reported cases: 50% and 5000 off SKU items worth 6000 on an order of 1000 take at most 1000", () => {
    const o: Order = { amount: 1000, items: [{ sku: "TSHIRT-M", quantity: 2, unit_price: 3000 }] };
    const facts = { redemptionsOfVoucher: 0, hasEarlierOrders: false };
    for (const d of [{ type: "percent", percent_off: 50 }, { type: "amount", amount_off: 5000 }] as Discount[]) {
      const result = evaluate(definition({ giftCard: false, discount: d, skus: ["TSHIRT-M"] }), { redemptionsCount: 0, giftCardBalance: null }, { order: o }, facts, 0);
      expect(result).toEqual({ ok: true, discountAmount: d.type === "percent" ? 500 : 1000 });
    }
  });
});
