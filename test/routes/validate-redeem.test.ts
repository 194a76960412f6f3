// API.md §5 "Validate and redeem" and rollback: eligibility, pricing, exactly-once redemption and its undo.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { type Answer, call, createAgentKey, createKey, expectError, newTeam } from "../helpers/api";
import { expectApiError } from "../helpers/security";
import { createVoucher, flushedRead, order, redeem, redeemOk, rollback, uniqueCode, validate, voucherObject } from "../helpers/vouchers";

const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const THIRTY_MINUTES = 30 * 60 * 1000;
const SHOP = "https://shop.example";
const hourFromNow = () => new Date(Date.now() + 3_600_000).toISOString();
const hourAgo = () => new Date(Date.now() - 3_600_000).toISOString();
const getVoucher = (token: string, code: string) => call("GET", `/v1/vouchers/${code}`, { token });
const countOf = async (token: string, code: string) => {
  const res = await getVoucher(token, code);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.redemptions_count as number;
};
const balanceOf = async (token: string, code: string) => (await getVoucher(token, code)).body.gift_card.balance as number;

/** 422 voucher_not_eligible carries the rule that failed as a top-level `reason` (API.md §5), besides the error shape. */
function expectNotEligible(res: Answer, reason: string) {
  expectError(res, 422, "voucher_not_eligible");
  expect(res.body.reason, JSON.stringify(res.body)).toBe(reason);
  expect(typeof res.body.message).toBe("string");
  expect(res.headers.get("Request-Id")).toBe(res.body.request_id);
}

/** 200 {valid: false, code, reason, message}, exactly those fields. */
function expectInvalid(res: { status: number; body: any }, code: string, reason: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(Object.keys(res.body).sort()).toEqual(["code", "message", "reason", "valid"]);
  expect(res.body).toMatchObject({ valid: false, code, reason });
  expect(typeof res.body.message).toBe("string");
  expect(res.body.message.length).toBeGreaterThan(0);
}

describe("POST /v1/vouchers/{code}/validate — consumes nothing", () => {
  it("validating 5 times leaves redemptions_count at 0 and the one allowed redemption still available", async () => {
    const { admin } = await newTeam();
    const v = await createVoucher(admin.key, { redemption_limit: 1, per_customer_limit: 1 });
    for (let i = 0; i < 5; i++) {
      const res = await validate(admin.key, v.code, { customer_id: "cus-1", order: order(5000) });
      expect(res.body).toMatchObject({ valid: true, discount_amount: 500, redemptions_count: 0, remaining_redemptions: 1 });
    }
    expect(await countOf(admin.key, v.code)).toBe(0);
    await redeemOk(admin.key, v.code, { customer_id: "cus-1", order: order(5000) });
    expect(await countOf(admin.key, v.code)).toBe(1);
  });

  it("a gift card's balance is untouched by validation", async () => {
    const { admin } = await newTeam();
    const v = await createVoucher(admin.key, { type: "gift_card", gift_card: { amount: 5000 }, currency: "EUR", discount: undefined });
    for (let i = 0; i < 3; i++) {
      const res = await validate(admin.key, v.code, { order: order(2000), amount: 2000 });
      expect(res.body).toMatchObject({ valid: true, discount_amount: 2000 });
    }
    expect(await balanceOf(admin.key, v.code)).toBe(5000);
  });
});

type ReasonCase = {
  reason: string;
  voucher: Record<string, unknown>;
  request: Record<string, unknown>;
  /** Redemptions made first (same customer as the request where one is given). */
  before?: Record<string, unknown>[];
};

const REASON_CASES: ReasonCase[] = [
  { reason: "inactive", voucher: { active: false }, request: { order: { amount: 5000 } } },
  { reason: "not_started", voucher: { starts_at: hourFromNow() }, request: { order: { amount: 5000 } } },
  { reason: "expired", voucher: { expires_at: hourAgo() }, request: { order: { amount: 5000 } } },
  {
    reason: "redemption_limit_reached",
    voucher: { redemption_limit: 1 },
    before: [{ order: order(5000) }],
    request: { order: { amount: 5000 } },
  },
  {
    reason: "customer_limit_reached",
    voucher: { per_customer_limit: 1 },
    before: [{ customer_id: "cus-repeat", order: order(5000) }],
    request: { customer_id: "cus-repeat", order: { amount: 5000 } },
  },
  { reason: "order_below_minimum", voucher: { rules: { min_order_amount: 5000 } }, request: { order: { amount: 4999 } } },
  { reason: "order_above_maximum", voucher: { rules: { max_order_amount: 5000 } }, request: { order: { amount: 5001 } } },
  {
    reason: "customer_not_eligible",
    voucher: { rules: { customer_ids: ["cus-vip-1", "cus-vip-2"] } },
    request: { customer_id: "cus-someone-else", order: { amount: 5000 } },
  },
  {
    reason: "no_eligible_items",
    voucher: { rules: { skus: ["TSHIRT-M"] } },
    request: { order: { amount: 5000, items: [{ sku: "MUG", quantity: 2, unit_price: 2500 }] } },
  },
  {
    reason: "currency_mismatch",
    voucher: { discount: { type: "amount", amount_off: 500 }, currency: "EUR" },
    request: { order: { amount: 5000, currency: "USD" } },
  },
  {
    reason: "insufficient_balance",
    voucher: { type: "gift_card", gift_card: { amount: 5000 }, currency: "EUR", discount: undefined },
    request: { order: { amount: 10_000, currency: "EUR" }, amount: 6000 },
  },
  { reason: "customer_required", voucher: { per_customer_limit: 1 }, request: { order: { amount: 5000 } } },
];

describe("POST /v1/vouchers/{code}/validate — every reason without campaigns → 200 {valid: false, code, reason, message}", () => {
  it.each(REASON_CASES.map((c) => [c.reason, c] as const))("%s", async (_reason, c) => {
    const { admin } = await newTeam();
    const v = await createVoucher(admin.key, { code: uniqueCode("R").toLowerCase(), ...c.voucher });
    for (const body of c.before ?? []) await redeemOk(admin.key, v.code, body);
    expectInvalid(await validate(admin.key, v.code.toLowerCase(), c.request), v.code, c.reason);
    // Nothing was consumed by the refusal.
    expect(await countOf(admin.key, v.code)).toBe(c.before?.length ?? 0);
  });

  it("the boundaries are inclusive: an order of exactly min_order_amount or max_order_amount is valid", async () => {
    const { admin } = await newTeam();
    const v = await createVoucher(admin.key, { rules: { min_order_amount: 5000, max_order_amount: 8000 } });
    expect((await validate(admin.key, v.code, { order: { amount: 5000 } })).body).toMatchObject({ valid: true, discount_amount: 500 });
    expect((await validate(admin.key, v.code, { order: { amount: 8000 } })).body).toMatchObject({ valid: true, discount_amount: 800 });
  });

  it("an allow-listed customer is eligible; a matching currency (any case) passes", async () => {
    const { admin } = await newTeam();
    const v = await createVoucher(admin.key, { discount: { type: "amount", amount_off: 500 }, currency: "EUR", rules: { customer_ids: ["cus-vip-1"] } });
    const res = await validate(admin.key, v.code, { customer_id: "cus-vip-1", order: { amount: 5000, currency: "eur" } });
    expect(res.body).toMatchObject({ valid: true, discount_amount: 500 });
  });

  it("an unknown code → 404 voucher_not_found", async () => {
    const { admin } = await newTeam();
    expectApiError(await validate(admin.key, "NO-SUCH-CODE", { order: { amount: 5000 } }), 404, "voucher_not_found");
  });

  it("a malformed request → 400 (no order, negative amount, unknown field), never 500", async () => {
    const { admin } = await newTeam();
    const v = await createVoucher(admin.key);
    for (const body of [{}, { order: { amount: -1 } }, { order: { amount: 10.5 } }, { order: { amount: 100 }, coupon: "x" }, { order: { amount: 100, shipping_amount: 200 } }]) {
      const res = await validate(admin.key, v.code, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expectApiError(res, 400, res.body.error);
    }
  });
});

describe("POST /v1/vouchers/{code}/validate — valid answers", () => {
  it("the API.md example: 20% with max 5000 on a 12000 order → 2400, total 9600", async () => {
    const { admin } = await newTeam();
    const expiresAt = "2030-12-31T23:59:59Z";
    const v = await createVoucher(admin.key, {
      discount: { type: "percent", percent_off: 20, max_discount_amount: 5000 },
      currency: "EUR",
      per_customer_limit: 1,
      rules: { min_order_amount: 2000 },
      expires_at: expiresAt,
    });
    const res = await validate(admin.key, v.code, {
      customer_id: "cus-42",
      order: { id: "ord-9", amount: 12_000, currency: "EUR", shipping_amount: 500, items: [{ sku: "TSHIRT-M", quantity: 2, unit_price: 6000 }] },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      valid: true,
      code: v.code,
      discount_amount: 2400,
      order: { amount: 12_000, discount_amount: 2400, total_amount: 9600 },
      expires_at: expiresAt,
      campaign_id: null,
    });
    expect(res.body.order).toEqual({ amount: 12_000, discount_amount: 2400, total_amount: 9600 });
  });

  it("the percent cap applies; an amount never exceeds the order", async () => {
    const { admin } = await newTeam();
    const capped = await createVoucher(admin.key, { discount: { type: "percent", percent_off: 50, max_discount_amount: 1000 } });
    expect((await validate(admin.key, capped.code, { order: { amount: 12_000 } })).body).toMatchObject({
      valid: true,
      discount_amount: 1000,
      order: { amount: 12_000, discount_amount: 1000, total_amount: 11_000 },
    });
    const big = await createVoucher(admin.key, { discount: { type: "amount", amount_off: 5000 }, currency: "EUR" });
    expect((await validate(admin.key, big.code, { order: { amount: 3000 } })).body).toMatchObject({
      valid: true,
      discount_amount: 3000,
      order: { amount: 3000, discount_amount: 3000, total_amount: 0 },
    });
    const full = await createVoucher(admin.key, { discount: { type: "percent", percent_off: 100 } });
    expect((await validate(admin.key, full.code, { order: { amount: 4321 } })).body).toMatchObject({ valid: true, discount_amount: 4321, order: { total_amount: 0 } });
  });

  it("a SKU-restricted discount applies only to the matching items", async () => {
    const { admin } = await newTeam();
    const v = await createVoucher(admin.key, { discount: { type: "percent", percent_off: 10 }, rules: { skus: ["TSHIRT-M"] } });
    const res = await validate(admin.key, v.code, {
      order: {
        amount: 15_500,
        shipping_amount: 500,
        items: [
          { sku: "TSHIRT-M", quantity: 2, unit_price: 6000 },
          { sku: "MUG", quantity: 1, unit_price: 3000 },
        ],
      },
    });
    expect(res.body).toMatchObject({ valid: true, discount_amount: 1200, order: { amount: 15_500, discount_amount: 1200, total_amount: 14_300 } });

    const amountOff = await createVoucher(admin.key, { discount: { type: "amount", amount_off: 5000 }, currency: "EUR", rules: { skus: ["SOCKS"] } });
    const socks = await validate(admin.key, amountOff.code, {
      order: { amount: 12_000, items: [{ sku: "SOCKS", quantity: 2, unit_price: 1000 }, { sku: "COAT", quantity: 1, unit_price: 10_000 }] },
    });
    expect(socks.body).toMatchObject({ valid: true, discount_amount: 2000, order: { total_amount: 10_000 } });
  });

  it("a secret key sees redemptions_count, remaining_redemptions, metadata and gift_card", async () => {
    const { admin } = await newTeam();
    const v = await createVoucher(admin.key, { redemption_limit: 5, metadata: { internal: "margin-12" } });
    await redeemOk(admin.key, v.code, { order: order(5000) });
    const res = await validate(admin.key, v.code, { order: { amount: 5000 } });
    expect(res.body).toMatchObject({ valid: true, redemptions_count: 1, remaining_redemptions: 4, metadata: { internal: "margin-12" }, gift_card: null });
    const card = await createVoucher(admin.key, { type: "gift_card", gift_card: { amount: 5000 }, currency: "EUR", discount: undefined });
    const cardRes = await validate(admin.key, card.code, { order: { amount: 1000 } });
    expect(cardRes.body).toMatchObject({ valid: true, discount_amount: 1000, gift_card: { amount: 5000, balance: 5000 } });
  });

  it("a publishable key (from its allowed origin) gets the reduced answer", async () => {
    const { owner, admin } = await newTeam();
    const pk = await createKey(owner.accessToken, { name: "storefront", type: "publishable", allowed_origins: [SHOP] });
    const v = await createVoucher(admin.key, { redemption_limit: 5, metadata: { internal: "margin-12" } });
    await redeemOk(admin.key, v.code, { order: order(5000) });
    const res = await validate(pk.key, v.code, { order: { amount: 5000 } }, { Origin: SHOP });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe(SHOP);
    expect(res.body).toMatchObject({ valid: true, code: v.code, discount_amount: 500, order: { amount: 5000, discount_amount: 500, total_amount: 4500 } });
    for (const hidden of ["redemptions_count", "remaining_redemptions", "metadata", "gift_card"]) expect(res.body).not.toHaveProperty(hidden);

    const card = await createVoucher(admin.key, { type: "gift_card", gift_card: { amount: 5000 }, currency: "EUR", discount: undefined, metadata: { k: "v" } });
    const cardRes = await validate(pk.key, card.code, { order: { amount: 1000 } }, { Origin: SHOP });
    expect(cardRes.body).toMatchObject({ valid: true, discount_amount: 1000 });
    for (const hidden of ["redemptions_count", "remaining_redemptions", "metadata", "gift_card"]) expect(cardRes.body).not.toHaveProperty(hidden);

    // Refusals look the same to the shop as to the server.
    const off = await createVoucher(admin.key, { active: false });
    expectInvalid(await validate(pk.key, off.code, { order: { amount: 5000 } }, { Origin: SHOP }), off.code, "inactive");
  });

  it("a publishable key from another origin, or with none → 403 origin_not_allowed; it never redeems", async () => {
    const { owner, admin } = await newTeam();
    const pk = await createKey(owner.accessToken, { name: "storefront", type: "publishable", allowed_origins: [SHOP] });
    const v = await createVoucher(admin.key);
    expectApiError(await validate(pk.key, v.code, { order: { amount: 5000 } }, { Origin: "https://evil.example" }), 403, "origin_not_allowed");
    expectApiError(await validate(pk.key, v.code, { order: { amount: 5000 } }), 403, "origin_not_allowed");
    const res = await call("POST", `/v1/vouchers/${v.code}/redeem`, { token: pk.key, headers: { Origin: SHOP }, body: { order: order(5000) } });
    expect(res.status).toBe(403);
    expect(await countOf(admin.key, v.code)).toBe(0);
  });
});

describe("POST /v1/vouchers/{code}/redeem", () => {
  it("201 with the redemption; rollback_expires_at is created_at + 30 minutes; GET counts it", async () => {
    const { admin } = await newTeam();
    const v = await createVoucher(admin.key, { discount: { type: "percent", percent_off: 20, max_discount_amount: 5000 }, currency: "EUR", redemption_limit: 3 });
    const theOrder = { id: "ord-9", amount: 12_000, currency: "EUR", shipping_amount: 500, items: [{ sku: "TSHIRT-M", quantity: 2, unit_price: 6000 }] };
    const res = await redeem(admin.key, v.code.toLowerCase(), { customer_id: "cus-42", order: theOrder });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const r = res.body;
    expect(r.id).toMatch(/^red_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(r).toMatchObject({
      object: "redemption",
      status: "redeemed",
      code: v.code,
      campaign_id: null,
      customer_id: "cus-42",
      order: { id: "ord-9", amount: 12_000, discount_amount: 2400, total_amount: 9600 },
      discount_amount: 2400,
      remaining_redemptions: 2,
    });
    expect(r.created_at).toMatch(RFC3339_UTC);
    expect(r.rollback_expires_at).toMatch(RFC3339_UTC);
    expect(Date.parse(r.rollback_expires_at) - Date.parse(r.created_at)).toBe(THIRTY_MINUTES);
    expect(Math.abs(Date.parse(r.created_at) - Date.now())).toBeLessThan(60_000);
    expect(await countOf(admin.key, v.code)).toBe(1);

    const second = await redeemOk(admin.key, v.code, { customer_id: "cus-43", order: order(1000) });
    expect(second.remaining_redemptions).toBe(1);
    expect(second.id).not.toBe(r.id);
    expect(await countOf(admin.key, v.code)).toBe(2);
  });

  it("the total limit reached → 409 redemption_limit_reached", async () => {
    const { admin } = await newTeam();
    const v = await createVoucher(admin.key, { redemption_limit: 2 });
    await redeemOk(admin.key, v.code, { order: order() });
    const last = await redeemOk(admin.key, v.code, { order: order() });
    expect(last.remaining_redemptions).toBe(0);
    expectApiError(await redeem(admin.key, v.code, { order: order() }), 409, "redemption_limit_reached");
    expect(await countOf(admin.key, v.code)).toBe(2);
  });

  it("the per-customer limit reached → 409 customer_limit_reached; another customer still redeems", async () => {
    const { admin } = await newTeam();
    const v = await createVoucher(admin.key, { per_customer_limit: 1, redemption_limit: 10 });
    await redeemOk(admin.key, v.code, { customer_id: "cus-a", order: order() });
    expectApiError(await redeem(admin.key, v.code, { customer_id: "cus-a", order: order() }), 409, "customer_limit_reached");
    await redeemOk(admin.key, v.code, { customer_id: "cus-b", order: order() });
    expect(await countOf(admin.key, v.code)).toBe(2);
  });

  it("the same order.id again → 409 duplicate_redemption naming the first redemption", async () => {
    const { admin } = await newTeam();
    const v = await createVoucher(admin.key, { redemption_limit: 10 });
    const theOrder = order(5000);
    const first = await redeemOk(admin.key, v.code, { order: theOrder });
    const again = await redeem(admin.key, v.code, { order: { ...theOrder, amount: 6000 } });
    expectApiError(again, 409, "duplicate_redemption");
    expect(Array.isArray(again.body.details), JSON.stringify(again.body)).toBe(true);
    expect(JSON.stringify(again.body.details)).toContain(first.id);
    expect(await countOf(admin.key, v.code)).toBe(1);
  });

  it("any other rule → 422 voucher_not_eligible with reason", async () => {
    const { admin } = await newTeam();
    const cases: [Record<string, unknown>, Record<string, unknown>, string][] = [
      [{ active: false }, { order: order() }, "inactive"],
      [{ expires_at: hourAgo() }, { order: order() }, "expired"],
      [{ rules: { min_order_amount: 5000 } }, { order: order(4000) }, "order_below_minimum"],
      [{ per_customer_limit: 1 }, { order: order() }, "customer_required"],
      [{ rules: { skus: ["A-SKU"] } }, { order: order(5000, { items: [{ sku: "B-SKU", quantity: 1, unit_price: 5000 }] }) }, "no_eligible_items"],
      [{ discount: { type: "amount", amount_off: 100 }, currency: "EUR" }, { order: order(5000, { currency: "GBP" }) }, "currency_mismatch"],
    ];
    for (const [voucher, body, reason] of cases) {
      const v = await createVoucher(admin.key, voucher);
      expectNotEligible(await redeem(admin.key, v.code, body), reason);
      expect(await countOf(admin.key, v.code)).toBe(0);
    }
  });

  it("order.id missing → 400 naming order.id", async () => {
    const { admin } = await newTeam();
    const v = await createVoucher(admin.key);
    const res = await redeem(admin.key, v.code, { order: { amount: 5000 } });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.details.map((d: { path: string }) => d.path)).toContain("order.id");
    expect(await countOf(admin.key, v.code)).toBe(0);
  });

  it("a customer_id that is not 1–128 printable ASCII characters without spaces or / → 400 naming it; nothing is redeemed", async () => {
    const { admin } = await newTeam();
    const v = await createVoucher(admin.key);
    // API.md §1: printable ASCII only, so no accented letters, emoji, DEL or invisible format characters.
    for (const customerId of ["cüs-1", "cus-😀", "cus\x7f", "cus\u200b1", "has space", "a/b", "x".repeat(129)]) {
      const body = { customer_id: customerId, order: order() };
      for (const res of [await validate(admin.key, v.code, body), await redeem(admin.key, v.code, body)]) {
        expectApiError(res, 400, "invalid_request");
        expect(res.body.details.map((d: { path: string }) => d.path), customerId).toContain("customer_id");
      }
    }
    expect(await countOf(admin.key, v.code)).toBe(0);
    // The edges: every printable ASCII character but space and /, and 128 of them.
    const printable = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)).filter((c) => c !== "/").join("");
    for (const customerId of [printable, "c".repeat(128)]) await redeemOk(admin.key, v.code, { customer_id: customerId, order: order() });
  });

  it("an unknown code → 404 voucher_not_found", async () => {
    const { admin } = await newTeam();
    expectApiError(await redeem(admin.key, "NO-SUCH-CODE", { order: order() }), 404, "voucher_not_found");
  });

  it("a gift card spends `amount` and the balance drops; by default it spends min(balance, order.amount)", async () => {
    const { admin } = await newTeam();
    const v = await createVoucher(admin.key, { type: "gift_card", gift_card: { amount: 5000 }, currency: "EUR", discount: undefined });
    const spent = await redeemOk(admin.key, v.code, { order: order(10_000), amount: 2000 });
    expect(spent).toMatchObject({ discount_amount: 2000, order: { amount: 10_000, discount_amount: 2000, total_amount: 8000 } });
    expect(await balanceOf(admin.key, v.code)).toBe(3000);

    // A small order: the whole order is paid, the rest stays on the card.
    const small = await redeemOk(admin.key, v.code, { order: order(1200) });
    expect(small).toMatchObject({ discount_amount: 1200, order: { total_amount: 0 } });
    expect(await balanceOf(admin.key, v.code)).toBe(1800);

    // More than the balance → refused, nothing spent.
    expectNotEligible(await redeem(admin.key, v.code, { order: order(10_000), amount: 1801 }), "insufficient_balance");
    expect(await balanceOf(admin.key, v.code)).toBe(1800);

    // A big order with no amount: the remaining balance.
    const rest = await redeemOk(admin.key, v.code, { order: order(10_000) });
    expect(rest).toMatchObject({ discount_amount: 1800, order: { total_amount: 8200 } });
    const got = await getVoucher(admin.key, v.code);
    expect(got.body).toMatchObject({ gift_card: { amount: 5000, balance: 0 }, redemptions_count: 3 });

    // An empty card is refused.
    expectInvalid(await validate(admin.key, v.code, { order: { amount: 100 } }), v.code, "insufficient_balance");
    expectNotEligible(await redeem(admin.key, v.code, { order: order(100) }), "insufficient_balance");
  });
});

describe("POST /v1/vouchers/{code}/rollback", () => {
  it("→ 200 status rolled_back with rolled_back_at; redemptions_count is restored and the slot is free again", async () => {
    const { admin } = await newTeam();
    const v = await createVoucher(admin.key, { redemption_limit: 1 });
    const r = await redeemOk(admin.key, v.code, { customer_id: "cus-1", order: order(5000) });
    expectApiError(await redeem(admin.key, v.code, { order: order() }), 409, "redemption_limit_reached");

    const res = await rollback(admin.key, v.code.toLowerCase(), { redemption_id: r.id, reason: "order cancelled" });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({
      id: r.id,
      object: "redemption",
      status: "rolled_back",
      code: v.code,
      customer_id: "cus-1",
      discount_amount: r.discount_amount,
      created_at: r.created_at,
      rollback_expires_at: r.rollback_expires_at,
    });
    expect(res.body.rolled_back_at).toMatch(RFC3339_UTC);
    expect(Date.parse(res.body.rolled_back_at)).toBeGreaterThanOrEqual(Date.parse(r.created_at));
    expect(await countOf(admin.key, v.code)).toBe(0);
    await redeemOk(admin.key, v.code, { order: order() });
    expect(await countOf(admin.key, v.code)).toBe(1);
  });

  it("restores the customer's count: the customer can redeem again", async () => {
    const { admin } = await newTeam();
    const v = await createVoucher(admin.key, { per_customer_limit: 1 });
    const r = await redeemOk(admin.key, v.code, { customer_id: "cus-1", order: order() });
    expectInvalid(await validate(admin.key, v.code, { customer_id: "cus-1", order: { amount: 5000 } }), v.code, "customer_limit_reached");
    expect((await rollback(admin.key, v.code, { redemption_id: r.id })).status).toBe(200);
    expect((await validate(admin.key, v.code, { customer_id: "cus-1", order: { amount: 5000 } })).body.valid).toBe(true);
    await redeemOk(admin.key, v.code, { customer_id: "cus-1", order: order() });
    expectApiError(await redeem(admin.key, v.code, { customer_id: "cus-1", order: order() }), 409, "customer_limit_reached");
  });

  it("restores the gift-card balance", async () => {
    const { admin } = await newTeam();
    const v = await createVoucher(admin.key, { type: "gift_card", gift_card: { amount: 5000 }, currency: "EUR", discount: undefined });
    const r = await redeemOk(admin.key, v.code, { order: order(10_000), amount: 3500 });
    expect(await balanceOf(admin.key, v.code)).toBe(1500);
    const res = await rollback(admin.key, v.code, { redemption_id: r.id });
    expect(res.status).toBe(200);
    expect(res.body.discount_amount).toBe(3500);
    expect((await getVoucher(admin.key, v.code)).body).toMatchObject({ gift_card: { amount: 5000, balance: 5000 }, redemptions_count: 0 });
    await redeemOk(admin.key, v.code, { order: order(10_000), amount: 5000 });
    expect(await balanceOf(admin.key, v.code)).toBe(0);
  });

  it("works on a voucher deactivated or expired since the redemption", async () => {
    const { admin } = await newTeam();
    const v = await createVoucher(admin.key, { redemption_limit: 2 });
    const r1 = await redeemOk(admin.key, v.code, { order: order() });
    const r2 = await redeemOk(admin.key, v.code, { order: order() });
    expect((await call("PATCH", `/v1/vouchers/${v.code}`, { token: admin.key, body: { active: false } })).status).toBe(200);
    expect((await rollback(admin.key, v.code, { redemption_id: r1.id })).body.status).toBe("rolled_back");
    expect((await call("PATCH", `/v1/vouchers/${v.code}`, { token: admin.key, body: { active: true, expires_at: hourAgo() } })).status).toBe(200);
    expect((await rollback(admin.key, v.code, { redemption_id: r2.id })).body.status).toBe("rolled_back");
    expect(await countOf(admin.key, v.code)).toBe(0);
  });

  it("twice → 409 already_rolled_back, and nothing is restored a second time", async () => {
    const { admin } = await newTeam();
    const v = await createVoucher(admin.key, { redemption_limit: 5 });
    const r1 = await redeemOk(admin.key, v.code, { order: order() });
    await redeemOk(admin.key, v.code, { order: order() });
    expect((await rollback(admin.key, v.code, { redemption_id: r1.id })).status).toBe(200);
    expectApiError(await rollback(admin.key, v.code, { redemption_id: r1.id }), 409, "already_rolled_back");
    expect(await countOf(admin.key, v.code)).toBe(1);
  });

  it("an unknown redemption id → 404; an unknown code → 404 voucher_not_found; no body → 400", async () => {
    const { admin } = await newTeam();
    const v = await createVoucher(admin.key);
    const r = await redeemOk(admin.key, v.code, { order: order() });
    const res = await rollback(admin.key, v.code, { redemption_id: "red_01JD0000000000000000000000" });
    expect(res.status, JSON.stringify(res.body)).toBe(404);
    expectApiError(res, 404, res.body.error);
    // Another voucher's redemption is unknown on this one.
    const other = await createVoucher(admin.key);
    expect((await rollback(admin.key, other.code, { redemption_id: r.id })).status).toBe(404);
    expectApiError(await rollback(admin.key, "NO-SUCH-CODE", { redemption_id: r.id }), 404, "voucher_not_found");
    expect((await rollback(admin.key, v.code, {})).status).toBe(400);
    expect(await countOf(admin.key, v.code)).toBe(1);
  });

  it("past the 30-minute window → 422 rollback_window_expired; nothing is restored", async () => {
    const { owner, admin } = await newTeam();
    const v = await createVoucher(admin.key, { redemption_limit: 1 });
    const r = await redeemOk(admin.key, v.code, { order: order() });
    const shift = 31 * 60 * 1000;
    const [before, after] = await runInDurableObject(voucherObject(owner.teamId, v.code), (_instance, state) => {
      const sql = state.storage.sql;
      const at = () => sql.exec<{ at: number }>("SELECT json_extract(record, '$.createdAt') AS at FROM redemptions WHERE id = ?", r.id).one().at;
      const was = at();
      sql.exec(
        "UPDATE redemptions SET created_at = created_at - ?, record = json_set(record, '$.createdAt', json_extract(record, '$.createdAt') - ?) WHERE id = ?",
        shift,
        shift,
        r.id,
      );
      return [was, at()];
    });
    expect(Math.floor(before / 1000) * 1000).toBe(Date.parse(r.created_at));
    expect(after).toBe(before - shift);

    expectApiError(await rollback(admin.key, v.code, { redemption_id: r.id }), 422, "rollback_window_expired");
    expect(await countOf(admin.key, v.code)).toBe(1);
    expectApiError(await redeem(admin.key, v.code, { order: order() }), 409, "redemption_limit_reached");
  });
});

describe("scopes on validate, redeem and rollback", () => {
  it("a key with only validate:vouchers validates, but redeem and rollback → 403 insufficient_scope", async () => {
    const { owner, admin } = await newTeam();
    const key = await createKey(owner.accessToken, { name: "validator", scopes: ["validate:vouchers"] });
    const v = await createVoucher(admin.key);
    const r = await redeemOk(admin.key, v.code, { order: order() });
    expect((await validate(key.key, v.code, { order: { amount: 5000 } })).body).toMatchObject({ valid: true, discount_amount: 500 });
    const denied = await redeem(key.key, v.code, { order: order() });
    expectApiError(denied, 403, "insufficient_scope");
    expect(denied.body.message).toContain("redeem:vouchers");
    expectApiError(await rollback(key.key, v.code, { redemption_id: r.id }), 403, "insufficient_scope");
    expect(await countOf(admin.key, v.code)).toBe(1);
  });

  it("a read-only key reads the voucher but cannot validate, redeem or roll back", async () => {
    const { owner, admin } = await newTeam();
    const key = await createKey(owner.accessToken, { name: "reader", scopes: ["read"] });
    const v = await createVoucher(admin.key);
    const r = await redeemOk(admin.key, v.code, { order: order() });
    expect((await getVoucher(key.key, v.code)).status).toBe(200);
    expectApiError(await validate(key.key, v.code, { order: { amount: 5000 } }), 403, "insufficient_scope");
    expectApiError(await redeem(key.key, v.code, { order: order() }), 403, "insufficient_scope");
    expectApiError(await rollback(key.key, v.code, { redemption_id: r.id }), 403, "insufficient_scope");
    expect(await countOf(admin.key, v.code)).toBe(1);
  });

  it("a key with redeem:vouchers (and a legacy write key, and an agent key) may redeem and roll back", async () => {
    const { owner, admin } = await newTeam();
    const v = await createVoucher(admin.key, { redemption_limit: 10 });
    const redeemer = await createKey(owner.accessToken, { name: "checkout", scopes: ["redeem:vouchers"] });
    const writer = await createKey(owner.accessToken, { name: "legacy", scopes: ["write"] });
    const agent = await createAgentKey(owner.accessToken, { scopes: ["redeem:vouchers", "validate:vouchers"] });
    for (const key of [redeemer.key, writer.key, agent.key]) {
      const r = await redeemOk(key, v.code, { order: order() });
      expect((await rollback(key, v.code, { redemption_id: r.id })).status).toBe(200);
    }
    expect((await validate(agent.key, v.code, { order: { amount: 5000 } })).body.valid).toBe(true);
    expect(await countOf(admin.key, v.code)).toBe(0);
  });
});

describe("first_order_only", () => {
  it("a customer with an earlier redemption (of any voucher of the team) is not eligible; a new one is", async () => {
    const { owner, admin } = await newTeam();
    const welcome = await createVoucher(admin.key, { rules: { first_order_only: true } });
    const other = await createVoucher(admin.key);
    expectInvalid(await validate(admin.key, welcome.code, { order: { amount: 5000 } }), welcome.code, "customer_required");
    expect((await validate(admin.key, welcome.code, { customer_id: "cus-new", order: { amount: 5000 } })).body.valid).toBe(true);

    await redeemOk(admin.key, other.code, { customer_id: "cus-returning", order: order() });
    const seen = await flushedRead(
      [{ teamId: owner.teamId, code: other.code }],
      () => call("GET", "/v1/customers/cus-returning", { token: admin.key }),
      (res) => res.body?.redemptions_count === 1,
    );
    expect(seen.body.redemptions_count).toBe(1);
    expectInvalid(await validate(admin.key, welcome.code, { customer_id: "cus-returning", order: { amount: 5000 } }), welcome.code, "customer_not_eligible");
    expectNotEligible(await redeem(admin.key, welcome.code, { customer_id: "cus-returning", order: order() }), "customer_not_eligible");

    // The first order through this very voucher counts too.
    await redeemOk(admin.key, welcome.code, { customer_id: "cus-new", order: order() });
    expectNotEligible(await redeem(admin.key, welcome.code, { customer_id: "cus-new", order: order() }), "customer_not_eligible");
  });
});

describe("write headers on validate, redeem and rollback (API.md §3)", () => {
  it("Vauchflow-Dry-Run: true → 400 dry_run_not_supported, and nothing is consumed", async () => {
    const { admin } = await newTeam();
    const v = await createVoucher(admin.key);
    const r = await redeemOk(admin.key, v.code, { order: order() });
    const DRY = { "Vauchflow-Dry-Run": "true" };
    const calls = [
      call("POST", `/v1/vouchers/${v.code}/redeem`, { token: admin.key, headers: DRY, body: { order: order() } }),
      call("POST", `/v1/vouchers/${v.code}/rollback`, { token: admin.key, headers: DRY, body: { redemption_id: r.id } }),
      call("POST", `/v1/vouchers/${v.code}/validate`, { token: admin.key, headers: DRY, body: { order: { amount: 5000 } } }),
      call("PATCH", `/v1/vouchers/${v.code}`, { token: admin.key, headers: DRY, body: { active: false } }),
    ];
    for (const res of await Promise.all(calls)) expectApiError(res, 400, "dry_run_not_supported");
    expect((await getVoucher(admin.key, v.code)).body).toMatchObject({ redemptions_count: 1, active: true });
    expect((await rollback(admin.key, v.code, { redemption_id: r.id })).status).toBe(200);
  });

  it("a redeem retried with the same Idempotency-Key replays the first answer and redeems once", async () => {
    const { admin } = await newTeam();
    const v = await createVoucher(admin.key, { redemption_limit: 5 });
    const body = { customer_id: "cus-1", order: order() };
    const headers = { "Idempotency-Key": `redeem-${uniqueCode()}` };
    const first = await call("POST", `/v1/vouchers/${v.code}/redeem`, { token: admin.key, headers, body });
    const again = await call("POST", `/v1/vouchers/${v.code}/redeem`, { token: admin.key, headers, body });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(await countOf(admin.key, v.code)).toBe(1);
  });
});

describe("money: the discount never exceeds the order, total_amount is never negative", () => {
  // Items whose sum exceeds order.amount contradict the order: refused as malformed, like shipping_amount > amount,
  // rather than priced on either number. Today's two reported cases, on validate and redeem alike.
  const INCONSISTENT: [string, Record<string, unknown>, number][] = [
    ["50% off SKU items worth 6000 on an order of 1000", { discount: { type: "percent", percent_off: 50 }, rules: { skus: ["TSHIRT-M"] } }, 3000],
    ["5000 off SKU items worth 6000 on an order of 1000", { discount: { type: "amount", amount_off: 5000 }, currency: "EUR", rules: { skus: ["TSHIRT-M"] } }, 5000],
  ];
  const itemsOf6000 = [{ sku: "TSHIRT-M", quantity: 2, unit_price: 3000 }];

  it.each(INCONSISTENT)("%s → 400 invalid_request naming order.items; nothing consumed", async (_name, voucher, consistentDiscount) => {
    const { admin } = await newTeam();
    const v = await createVoucher(admin.key, { redemption_limit: 1, ...voucher });
    const checked = await validate(admin.key, v.code, { order: { amount: 1000, currency: "EUR", items: itemsOf6000 } });
    expectApiError(checked, 400, "invalid_request");
    expect(checked.body.details.map((d: { path: string }) => d.path)).toEqual(["order.items"]);
    const redeemed = await redeem(admin.key, v.code, { order: order(1000, { items: itemsOf6000 }) });
    expectApiError(redeemed, 400, "invalid_request");
    expect(redeemed.body.details.map((d: { path: string }) => d.path)).toEqual(["order.items"]);
    expect(await countOf(admin.key, v.code)).toBe(0);
    // The same voucher on a consistent order (items of 6000 within 6500) prices the items alone.
    const ok = await redeemOk(admin.key, v.code, { order: order(6500, { shipping_amount: 500, items: itemsOf6000 }) });
    const d = consistentDiscount;
    expect(ok).toMatchObject({ discount_amount: d, order: { amount: 6500, discount_amount: d, total_amount: 6500 - d } });
  });

  it("items summing to exactly the amount are accepted: 100% off them leaves a total of 0", async () => {
    const { admin } = await newTeam();
    const v = await createVoucher(admin.key, { discount: { type: "percent", percent_off: 100 }, rules: { skus: ["MUG"] } });
    const res = await validate(admin.key, v.code, { order: { amount: 4000, items: [{ sku: "MUG", quantity: 4, unit_price: 1000 }] } });
    expect(res.body).toMatchObject({ valid: true, discount_amount: 4000, order: { amount: 4000, discount_amount: 4000, total_amount: 0 } });
  });

  it("a gift card never takes more than the order, whatever amount is asked", async () => {
    const { admin } = await newTeam();
    const v = await createVoucher(admin.key, { type: "gift_card", gift_card: { amount: 5000 }, currency: "EUR", discount: undefined });
    const spent = await redeemOk(admin.key, v.code, { order: order(1000), amount: 3000 });
    expect(spent).toMatchObject({ discount_amount: 1000, order: { amount: 1000, discount_amount: 1000, total_amount: 0 } });
    expect(await balanceOf(admin.key, v.code)).toBe(4000);
  });
});
