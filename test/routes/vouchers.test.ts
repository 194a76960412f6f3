// API.md §1 and §5: creating, reading, changing and listing vouchers.
import { describe, expect, it } from "vitest";
import { type Answer, call, newTeam, sleep } from "../helpers/api";
import { expectApiError } from "../helpers/security";
import { createVoucher, flushedRead, order, redeemOk, uniqueCode, validate } from "../helpers/vouchers";

const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const UNAMBIGUOUS_8 = /^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{8}$/;
const VOUCHER_FIELDS = [
  "active",
  "campaign_id",
  "code",
  "created_at",
  "currency",
  "discount",
  "expires_at",
  "gift_card",
  "id",
  "metadata",
  "object",
  "per_customer_limit",
  "redemption_limit",
  "redemptions_count",
  "rules",
  "starts_at",
  "type",
  "updated_at",
];
const DRY = { "Vauchflow-Dry-Run": "true" };
const hourFromNow = () => new Date(Date.now() + 3_600_000).toISOString();
const hourAgo = () => new Date(Date.now() - 3_600_000).toISOString();
/** RFC 3339 at second precision, as the API renders it. */
const toSecond = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

const post = (token: string, body: unknown, headers?: Record<string, string>) => call("POST", "/v1/vouchers", { token, body, headers });
const getVoucher = (token: string, code: string) => call("GET", `/v1/vouchers/${code}`, { token });
const patch = (token: string, code: string, body: unknown) => call("PATCH", `/v1/vouchers/${code}`, { token, body });
const list = async (token: string, query = "") => {
  const res = await call("GET", `/v1/vouchers${query}`, { token });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { data: any[]; has_more: boolean; next_cursor: string | null };
};
const listedCodes = async (token: string, query: string) => (await list(token, query)).data.map((v) => v.code as string).sort();

/** A 400 whose details name `path` (API.md §1: validation errors carry details). */
function expectInvalidAt(res: Answer, path: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(400);
  expectApiError(res, 400, res.body.error);
  expect(Array.isArray(res.body.details), JSON.stringify(res.body)).toBe(true);
  expect(res.body.details.map((d: { path: string }) => d.path), JSON.stringify(res.body)).toContain(path);
  for (const d of res.body.details) expect(typeof d.message).toBe("string");
}

describe("POST /v1/vouchers — codes", () => {
  it("a given code is stored upper-case and found case-insensitively; the answer has the voucher shape", async () => {
    const { admin } = await newTeam();
    const expiresAt = "2030-12-31T23:59:59Z";
    const res = await post(admin.key, {
      code: "summer-7k2p9q",
      discount: { type: "percent", percent_off: 20, max_discount_amount: 5000 },
      currency: "eur",
      redemption_limit: 100,
      per_customer_limit: 1,
      rules: { min_order_amount: 2000 },
      expires_at: expiresAt,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const v = res.body;
    expect(Object.keys(v).sort()).toEqual(VOUCHER_FIELDS);
    expect(v).toMatchObject({
      object: "voucher",
      code: "SUMMER-7K2P9Q",
      campaign_id: null,
      type: "discount",
      discount: { type: "percent", percent_off: 20, max_discount_amount: 5000 },
      gift_card: null,
      currency: "EUR",
      redemption_limit: 100,
      per_customer_limit: 1,
      redemptions_count: 0,
      rules: { min_order_amount: 2000, max_order_amount: null, customer_ids: null, skus: null, first_order_only: false },
      starts_at: null,
      expires_at: expiresAt,
      active: true,
      metadata: {},
    });
    expect(v.id).toMatch(/^vch_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(v.created_at).toMatch(RFC3339_UTC);
    expect(v.updated_at).toMatch(RFC3339_UTC);

    for (const spelling of ["SUMMER-7K2P9Q", "summer-7k2p9q", "Summer-7K2p9Q"]) {
      const got = await getVoucher(admin.key, spelling);
      expect(got.status, spelling).toBe(200);
      expect(got.body).toEqual(v);
    }
    // Validation by any spelling reaches the same voucher.
    const checked = await validate(admin.key, "summer-7K2P9Q", { customer_id: "cus-1", order: { amount: 3000 } });
    expect(checked.body).toMatchObject({ valid: true, code: "SUMMER-7K2P9Q", discount_amount: 600 });
  });

  it("without a code, one of 8 characters of the unambiguous charset is generated, different each time", async () => {
    const { admin } = await newTeam();
    const codes = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const v = await createVoucher(admin.key);
      expect(v.code).toMatch(UNAMBIGUOUS_8);
      codes.add(v.code);
      expect((await getVoucher(admin.key, v.code.toLowerCase())).body.id).toBe(v.id);
    }
    expect(codes.size).toBe(6);
  });

  it("a duplicate code → 409 duplicate_code, also when it differs only by case; the original is untouched", async () => {
    const { admin } = await newTeam();
    const code = uniqueCode("DUP");
    const first = await createVoucher(admin.key, { code, discount: { type: "percent", percent_off: 15 } });
    for (const spelling of [code, code.toLowerCase()]) {
      expectApiError(await post(admin.key, { code: spelling, discount: { type: "percent", percent_off: 90 } }), 409, "duplicate_code");
    }
    const got = await getVoucher(admin.key, code);
    expect(got.body.id).toBe(first.id);
    expect(got.body.discount).toEqual({ type: "percent", percent_off: 15 });
    expect((await list(admin.key)).data.map((v) => v.code)).toEqual([code]);
  });

  it("two teams may hold the same code", async () => {
    const a = await newTeam();
    const b = await newTeam();
    const code = uniqueCode("SHARED");
    const va = await createVoucher(a.admin.key, { code, discount: { type: "percent", percent_off: 10 } });
    const vb = await createVoucher(b.admin.key, { code: code.toLowerCase(), discount: { type: "percent", percent_off: 30 } });
    expect(vb.code).toBe(code);
    expect(vb.id).not.toBe(va.id);
    expect((await getVoucher(a.admin.key, code)).body.discount.percent_off).toBe(10);
    expect((await getVoucher(b.admin.key, code)).body.discount.percent_off).toBe(30);
  });
});

describe("POST /v1/vouchers — discount types and gift cards", () => {
  it("percent with max_discount_amount: the discount is capped", async () => {
    const { admin } = await newTeam();
    const v = await createVoucher(admin.key, { discount: { type: "percent", percent_off: 50, max_discount_amount: 1000 } });
    expect(v.discount).toEqual({ type: "percent", percent_off: 50, max_discount_amount: 1000 });
    const res = await validate(admin.key, v.code, { order: { amount: 12_000 } });
    expect(res.body).toMatchObject({ valid: true, discount_amount: 1000, order: { amount: 12_000, discount_amount: 1000, total_amount: 11_000 } });
    // Below the cap the percentage applies.
    const small = await validate(admin.key, v.code, { order: { amount: 1500 } });
    expect(small.body).toMatchObject({ valid: true, discount_amount: 750 });
  });

  it("amount needs a currency (400 naming currency); with one it is created and applied", async () => {
    const { admin } = await newTeam();
    expectInvalidAt(await post(admin.key, { discount: { type: "amount", amount_off: 1500 } }), "currency");
    const v = await createVoucher(admin.key, { discount: { type: "amount", amount_off: 1500 }, currency: "EUR" });
    expect(v).toMatchObject({ type: "discount", discount: { type: "amount", amount_off: 1500 }, currency: "EUR", gift_card: null });
    const res = await validate(admin.key, v.code, { order: { amount: 10_000, currency: "EUR" } });
    expect(res.body).toMatchObject({ valid: true, discount_amount: 1500, order: { amount: 10_000, discount_amount: 1500, total_amount: 8500 } });
  });

  it("a currency that is not an ISO-4217 code (three letters, but no currency) → 400 naming currency, on create and on an order", async () => {
    const { admin } = await newTeam();
    for (const currency of ["QQQ", "EUX", "ABC"]) {
      expectInvalidAt(await post(admin.key, { discount: { type: "amount", amount_off: 1500 }, currency }), "currency");
    }
    const v = await createVoucher(admin.key, { discount: { type: "amount", amount_off: 1500 }, currency: "gbp" });
    expect(v.currency).toBe("GBP");
    const res = await validate(admin.key, v.code, { order: { amount: 10_000, currency: "QQQ" } });
    expectApiError(res, 400, "invalid_request");
    expect(res.body.details.map((d: { path: string }) => d.path)).toContain("order.currency");
  });

  it("free_shipping discounts order.shipping_amount", async () => {
    const { admin } = await newTeam();
    const v = await createVoucher(admin.key, { discount: { type: "free_shipping" } });
    expect(v.discount).toEqual({ type: "free_shipping" });
    const res = await validate(admin.key, v.code, { order: { amount: 10_500, shipping_amount: 500 } });
    expect(res.body).toMatchObject({ valid: true, discount_amount: 500, order: { amount: 10_500, discount_amount: 500, total_amount: 10_000 } });
    const noShipping = await validate(admin.key, v.code, { order: { amount: 10_500, shipping_amount: 0 } });
    expect(noShipping.body).toMatchObject({ valid: true, discount_amount: 0, order: { total_amount: 10_500 } });
  });

  it("a gift card: {amount} in, {amount, balance} out, no discount", async () => {
    const { admin } = await newTeam();
    const res = await post(admin.key, { type: "gift_card", gift_card: { amount: 5000 }, currency: "EUR" });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(Object.keys(res.body).sort()).toEqual(VOUCHER_FIELDS);
    expect(res.body).toMatchObject({ type: "gift_card", gift_card: { amount: 5000, balance: 5000 }, discount: null, currency: "EUR", redemptions_count: 0 });
    expect((await getVoucher(admin.key, res.body.code)).body.gift_card).toEqual({ amount: 5000, balance: 5000 });
  });
});

describe("POST /v1/vouchers — validation errors (400 with details)", () => {
  it("percent_off 0 or 101 names discount.percent_off", async () => {
    const { admin } = await newTeam();
    for (const percent_off of [0, 101]) {
      expectInvalidAt(await post(admin.key, { code: uniqueCode(), discount: { type: "percent", percent_off } }), "discount.percent_off");
    }
    expect((await list(admin.key)).data).toEqual([]);
  });

  it("bad code characters or length name code", async () => {
    const { admin } = await newTeam();
    for (const code of ["BAD CODE", "SALE!", "ÉTÉ-2026", "AB", "X".repeat(65), "A.B.C"]) {
      expectInvalidAt(await post(admin.key, { code, discount: { type: "percent", percent_off: 10 } }), "code");
    }
    // The edges of the contract are accepted: 3 and 64 characters of A–Z 0–9 - _.
    for (const code of ["A_-", `Z${"9".repeat(63)}`]) {
      expect((await post(admin.key, { code, discount: { type: "percent", percent_off: 10 } })).status).toBe(201);
    }
  });

  it("starts_at after expires_at is refused", async () => {
    const { admin } = await newTeam();
    const res = await post(admin.key, { discount: { type: "percent", percent_off: 10 }, starts_at: "2031-01-02T00:00:00Z", expires_at: "2031-01-01T00:00:00Z" });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    const paths = res.body.details.map((d: { path: string }) => d.path);
    expect(paths.some((p: string) => p === "expires_at" || p === "starts_at"), JSON.stringify(res.body)).toBe(true);
  });

  it("an unknown field is named", async () => {
    const { admin } = await newTeam();
    expectInvalidAt(await post(admin.key, { discount: { type: "percent", percent_off: 10 }, colour: "red" }), "colour");
    expectInvalidAt(await post(admin.key, { discount: { type: "percent", percent_off: 10, bonus: 1 } }), "discount.bonus");
  });

  it("a gift card needs gift_card.amount and a currency", async () => {
    const { admin } = await newTeam();
    expectInvalidAt(await post(admin.key, { type: "gift_card", gift_card: { amount: 5000 } }), "currency");
    expectInvalidAt(await post(admin.key, { type: "gift_card", currency: "EUR" }), "gift_card");
    expectInvalidAt(await post(admin.key, { type: "gift_card", gift_card: { amount: 0 }, currency: "EUR" }), "gift_card.amount");
    expect((await list(admin.key)).data).toEqual([]);
  });

  it("a discount on a gift card names discount", async () => {
    const { admin } = await newTeam();
    const res = await post(admin.key, { type: "gift_card", gift_card: { amount: 5000 }, currency: "EUR", discount: { type: "percent", percent_off: 10 } });
    expectInvalidAt(res, "discount");
    expect((await list(admin.key)).data).toEqual([]);
  });

  it("metadata: 50 keys and 500-char values are fine; 51 keys or a 501-char value → 400", async () => {
    const { admin } = await newTeam();
    const keys = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, "v"]));
    const ok50 = await post(admin.key, { discount: { type: "percent", percent_off: 10 }, metadata: keys(50) });
    expect(ok50.status, JSON.stringify(ok50.body)).toBe(201);
    expect(Object.keys(ok50.body.metadata)).toHaveLength(50);
    const ok500 = await post(admin.key, { discount: { type: "percent", percent_off: 10 }, metadata: { note: "x".repeat(500) } });
    expect(ok500.status).toBe(201);
    expect(ok500.body.metadata.note).toHaveLength(500);

    const tooMany = await post(admin.key, { discount: { type: "percent", percent_off: 10 }, metadata: keys(51) });
    expect(tooMany.status, JSON.stringify(tooMany.body)).toBe(400);
    expect(tooMany.body.details.some((d: { path: string }) => d.path.startsWith("metadata")), JSON.stringify(tooMany.body)).toBe(true);
    const tooLong = await post(admin.key, { discount: { type: "percent", percent_off: 10 }, metadata: { note: "x".repeat(501) } });
    expect(tooLong.status, JSON.stringify(tooLong.body)).toBe(400);
    expect(tooLong.body.details.some((d: { path: string }) => d.path.startsWith("metadata")), JSON.stringify(tooLong.body)).toBe(true);
    expect((await list(admin.key)).data).toHaveLength(2);
  });
});

describe("POST /v1/vouchers — Vauchflow-Dry-Run", () => {
  it("answers 201 with the real body plus dry_run: true and id: null; the code stays free", async () => {
    const { admin } = await newTeam();
    const code = uniqueCode("DRY");
    const body = { code, discount: { type: "amount", amount_off: 700 }, currency: "EUR", redemption_limit: 5, metadata: { source: "preview" } };
    const preview = await post(admin.key, body, DRY);
    expect(preview.status, JSON.stringify(preview.body)).toBe(201);
    expect(preview.body.dry_run).toBe(true);
    expect(preview.body.id).toBeNull();
    expect(preview.body.code).toBe(code);
    expectApiError(await getVoucher(admin.key, code), 404, "voucher_not_found");
    expect((await list(admin.key)).data).toEqual([]);

    const real = await post(admin.key, body);
    expect(real.status, JSON.stringify(real.body)).toBe(201);
    expect(real.body.id).toMatch(/^vch_/);
    expect(real.body.dry_run).toBeUndefined();
    expect(Object.keys(preview.body).sort()).toEqual([...VOUCHER_FIELDS, "dry_run"].sort());
    const strip = ({ id: _i, created_at: _c, updated_at: _u, dry_run: _d, ...rest }: Record<string, unknown>) => rest;
    expect(strip(preview.body)).toEqual(strip(real.body));
  });

  it("a preview of a taken code answers 409 duplicate_code, like the real call", async () => {
    const { admin } = await newTeam();
    const v = await createVoucher(admin.key);
    expectApiError(await post(admin.key, { code: v.code.toLowerCase(), discount: { type: "percent", percent_off: 5 } }, DRY), 409, "duplicate_code");
  });
});

describe("GET /v1/vouchers/{code}", () => {
  it("an unknown code → 404 voucher_not_found", async () => {
    const { admin } = await newTeam();
    expectApiError(await getVoucher(admin.key, "NO-SUCH-CODE"), 404, "voucher_not_found");
    // A code later created under that name is then found (the earlier miss is not remembered).
    await createVoucher(admin.key, { code: "NO-SUCH-CODE" });
    expect((await getVoucher(admin.key, "no-such-code")).status).toBe(200);
  });

  it("a malformed code in the path → 400, never 500", async () => {
    const { admin } = await newTeam();
    const res = await getVoucher(admin.key, "A%20B");
    expect([400, 404]).toContain(res.status);
  });
});

describe("PATCH /v1/vouchers/{code}", () => {
  it("changes metadata, expires_at and active; GET shows the change", async () => {
    const { admin } = await newTeam();
    const v = await createVoucher(admin.key, { metadata: { a: "1" } });
    const expiresAt = "2031-06-30T12:00:00Z";
    const res = await patch(admin.key, v.code.toLowerCase(), { metadata: { segment: "vip" }, expires_at: expiresAt, active: false });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(VOUCHER_FIELDS);
    expect(res.body).toMatchObject({ id: v.id, code: v.code, metadata: { segment: "vip" }, expires_at: expiresAt, active: false });
    expect(Date.parse(res.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(v.updated_at));
    const got = await getVoucher(admin.key, v.code);
    expect(got.body).toMatchObject({ metadata: { segment: "vip" }, expires_at: expiresAt, active: false, discount: v.discount });
    // expires_at may be cleared.
    const cleared = await patch(admin.key, v.code, { expires_at: null });
    expect(cleared.body.expires_at).toBeNull();
  });

  it.each(["code", "discount", "redemption_limit", "type", "currency", "rules"])("%s → 422 unsupported_field naming it; nothing changes", async (field) => {
    const { admin } = await newTeam();
    const v = await createVoucher(admin.key, { redemption_limit: 3 });
    const values: Record<string, unknown> = {
      code: "NEW-CODE",
      discount: { type: "percent", percent_off: 99 },
      redemption_limit: 1000,
      type: "gift_card",
      currency: "USD",
      rules: { min_order_amount: 1 },
    };
    const res = await patch(admin.key, v.code, { active: false, [field]: values[field] });
    expectApiError(res, 422, "unsupported_field");
    const named = (res.body.details ?? []).some((d: { path: string }) => d.path === field) || res.body.message.includes(field);
    expect(named, JSON.stringify(res.body)).toBe(true);
    const got = await getVoucher(admin.key, v.code);
    expect(got.body).toEqual(v);
  });

  it("an unknown code → 404 voucher_not_found", async () => {
    const { admin } = await newTeam();
    expectApiError(await patch(admin.key, "NO-SUCH-CODE", { active: false }), 404, "voucher_not_found");
  });

  it("invalid values → 400 (metadata over the limits, expires_at not a timestamp)", async () => {
    const { admin } = await newTeam();
    const v = await createVoucher(admin.key);
    expect((await patch(admin.key, v.code, { metadata: { note: "x".repeat(501) } })).status).toBe(400);
    expect((await patch(admin.key, v.code, { expires_at: "tomorrow" })).status).toBe(400);
    expect((await patch(admin.key, v.code, { active: "no" })).status).toBe(400);
    expect((await getVoucher(admin.key, v.code)).body).toEqual(v);
  });

  it("the very next validate sees the change: deactivate → inactive, reactivate → valid, past expires_at → expired", async () => {
    const { admin } = await newTeam();
    const v = await createVoucher(admin.key, { discount: { type: "percent", percent_off: 10 } });
    const body = { order: { amount: 5000 } };
    expect((await validate(admin.key, v.code, body)).body).toMatchObject({ valid: true, discount_amount: 500 });

    expect((await patch(admin.key, v.code, { active: false })).status).toBe(200);
    expect((await validate(admin.key, v.code, body)).body).toMatchObject({ valid: false, code: v.code, reason: "inactive" });

    expect((await patch(admin.key, v.code, { active: true })).status).toBe(200);
    expect((await validate(admin.key, v.code, body)).body).toMatchObject({ valid: true, discount_amount: 500 });

    expect((await patch(admin.key, v.code, { expires_at: hourAgo() })).status).toBe(200);
    expect((await validate(admin.key, v.code, body)).body).toMatchObject({ valid: false, reason: "expired" });

    expect((await patch(admin.key, v.code, { expires_at: hourFromNow() })).status).toBe(200);
    expect((await validate(admin.key, v.code, body)).body).toMatchObject({ valid: true });
  });
});

describe("GET /v1/vouchers — filters", () => {
  it("campaign_id: with no campaigns, an unknown id gives an empty list", async () => {
    const { admin } = await newTeam();
    await createVoucher(admin.key);
    expect((await list(admin.key)).data).toHaveLength(1);
    const res = await list(admin.key, "?campaign_id=cmp_01JD000000000000000000000");
    expect(res).toEqual({ data: [], has_more: false, next_cursor: null });
  });

  it("status active | inactive | expired | exhausted", async () => {
    const { owner, admin } = await newTeam();
    const active = await createVoucher(admin.key, { code: "S-ACTIVE", expires_at: hourFromNow() });
    const inactive = await createVoucher(admin.key, { code: "S-INACTIVE", active: false });
    const expired = await createVoucher(admin.key, { code: "S-EXPIRED" });
    const exhausted = await createVoucher(admin.key, { code: "S-EXHAUSTED", redemption_limit: 1 });
    const limitedButFree = await createVoucher(admin.key, { code: "S-LIMITED", redemption_limit: 2 });

    expect((await patch(admin.key, expired.code, { expires_at: hourAgo() })).status).toBe(200);
    await redeemOk(admin.key, exhausted.code, { order: order(1000) });
    await redeemOk(admin.key, limitedButFree.code, { order: order(1000) });

    const flushed = [expired, exhausted, limitedButFree].map((v) => ({ teamId: owner.teamId, code: v.code }));
    const exhaustedList = await flushedRead(
      flushed,
      () => listedCodes(admin.key, "?status=exhausted"),
      (codes) => codes.includes(exhausted.code),
    );
    expect(exhaustedList).toEqual([exhausted.code]);
    const expiredList = await flushedRead(
      flushed,
      () => listedCodes(admin.key, "?status=expired"),
      (codes) => codes.includes(expired.code),
    );
    expect(expiredList).toEqual([expired.code]);
    expect(await listedCodes(admin.key, "?status=inactive")).toEqual([inactive.code]);
    expect(await listedCodes(admin.key, "?status=active")).toEqual([active.code, limitedButFree.code].sort());
    // The listing copy caught up with the redemption.
    const listed = (await list(admin.key, "?status=exhausted")).data[0];
    expect(listed).toMatchObject({ code: exhausted.code, redemptions_count: 1, redemption_limit: 1 });
    expect(Object.keys(listed).sort()).toEqual(VOUCHER_FIELDS);

    const bad = await call("GET", "/v1/vouchers?status=paused", { token: admin.key });
    expect(bad.status).toBe(400);
  });

  it("the listing copy follows the voucher: a rolled-back redemption frees an exhausted voucher; patched metadata shows", async () => {
    const { owner, admin } = await newTeam();
    const v = await createVoucher(admin.key, { code: "ONE-SHOT", redemption_limit: 1 });
    const r = await redeemOk(admin.key, v.code, { order: order(1000) });
    const objects = [{ teamId: owner.teamId, code: v.code }];
    expect(await flushedRead(objects, () => listedCodes(admin.key, "?status=exhausted"), (c) => c.length === 1)).toEqual([v.code]);
    expect((await call("POST", `/v1/vouchers/${v.code}/rollback`, { token: admin.key, body: { redemption_id: r.id } })).status).toBe(200);
    expect((await patch(admin.key, v.code, { metadata: { batch: "7" } })).status).toBe(200);
    const listed = await flushedRead(
      objects,
      () => list(admin.key, "?status=active"),
      (page) => page.data[0]?.metadata?.batch === "7",
    );
    expect(listed.data.map((x) => x.code)).toEqual([v.code]);
    expect(listed.data[0]).toMatchObject({ redemptions_count: 0, metadata: { batch: "7" } });
    expect(await listedCodes(admin.key, "?status=exhausted")).toEqual([]);
  });

  it("code_prefix matches the start of the code, case-insensitively and literally (_ is not a wildcard)", async () => {
    const { admin } = await newTeam();
    for (const code of ["ALPHA-1", "ALPHA-2", "ALPHABET", "BETA-ALPHA", "AB_1", "ABX1"]) await createVoucher(admin.key, { code });
    expect(await listedCodes(admin.key, "?code_prefix=alpha-")).toEqual(["ALPHA-1", "ALPHA-2"]);
    expect(await listedCodes(admin.key, "?code_prefix=ALPHA")).toEqual(["ALPHA-1", "ALPHA-2", "ALPHABET"]);
    expect(await listedCodes(admin.key, "?code_prefix=AB_")).toEqual(["AB_1"]);
    expect(await listedCodes(admin.key, "?code_prefix=GAMMA")).toEqual([]);
  });

  it("created_after and created_before bound the creation time", async () => {
    const { admin } = await newTeam();
    const a = await createVoucher(admin.key, { code: "T-A" });
    await sleep(1100);
    const b = await createVoucher(admin.key, { code: "T-B" });
    const c = await createVoucher(admin.key, { code: "T-C" });
    await sleep(1100);
    const d = await createVoucher(admin.key, { code: "T-D" });
    // a happened before the second after its own; d at or after its own second; b and c in between.
    const afterA = encodeURIComponent(toSecond(Date.parse(a.created_at) + 1000));
    const atD = encodeURIComponent(d.created_at);
    expect(await listedCodes(admin.key, `?created_after=${afterA}`)).toEqual([b.code, c.code, d.code]);
    expect(await listedCodes(admin.key, `?created_before=${atD}`)).toEqual([a.code, b.code, c.code]);
    expect(await listedCodes(admin.key, `?created_after=${afterA}&created_before=${atD}`)).toEqual([b.code, c.code]);
    expect(await listedCodes(admin.key, `?created_after=${atD}&created_before=${afterA}`)).toEqual([]);
    expect((await call("GET", "/v1/vouchers?created_after=yesterday", { token: admin.key })).status).toBe(400);
  });

  it("cursor pagination: limit 2 across 5 vouchers gives each exactly once, newest first", async () => {
    const { admin } = await newTeam();
    const created: string[] = [];
    for (let i = 0; i < 5; i++) {
      created.push((await createVoucher(admin.key, { code: `PAGE-${i}` })).id);
      await sleep(5);
    }
    const seen: string[] = [];
    const pages: { n: number; has_more: boolean; next_cursor: string | null }[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 10; i++) {
      const page = await list(admin.key, `?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      seen.push(...page.data.map((v) => v.id));
      pages.push({ n: page.data.length, has_more: page.has_more, next_cursor: page.next_cursor });
      if (!page.has_more) break;
      expect(typeof page.next_cursor).toBe("string");
      cursor = page.next_cursor;
    }
    expect(pages.map((p) => [p.n, p.has_more])).toEqual([
      [2, true],
      [2, true],
      [1, false],
    ]);
    expect(pages[2]!.next_cursor).toBeNull();
    expect(seen).toEqual([...created].reverse());
    // Default page size holds all five, newest first.
    expect((await list(admin.key)).data.map((v) => v.id)).toEqual([...created].reverse());
    for (const limit of ["0", "101", "abc"]) expect((await call("GET", `/v1/vouchers?limit=${limit}`, { token: admin.key })).status).toBe(400);
  });
});

describe("GET /v1/vouchers?format=csv", () => {
  it("returns text/csv: a header row and one row per matching voucher", async () => {
    const { admin } = await newTeam();
    const wanted: string[] = [];
    const others: string[] = [];
    await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const code = i < 20 ? `CSV-${String(i).padStart(2, "0")}` : `OTHER-${i}`;
        await createVoucher(admin.key, { code, discount: { type: "amount", amount_off: 100 + i }, currency: "EUR" });
        (i < 20 ? wanted : others).push(code);
      }),
    );
    const res = await call("GET", "/v1/vouchers?format=csv&code_prefix=csv-", { token: admin.key });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^text\/csv/);
    expect(res.headers.get("Request-Id")).toMatch(/^req_/);
    expect(typeof res.body).toBe("string");
    const lines = (res.body as string).split(/\r?\n/).filter((l) => l.length > 0);
    const header = lines[0]!.split(",");
    expect(header).toContain("code");
    expect(header).toContain("id");
    expect(lines).toHaveLength(1 + 20);
    const codeAt = header.indexOf("code");
    const rows = lines.slice(1).map((l) => l.split(","));
    for (const row of rows) expect(row).toHaveLength(header.length);
    expect(rows.map((r) => r[codeAt]).sort()).toEqual(wanted.sort());
    const idAt = header.indexOf("id");
    expect(new Set(rows.map((r) => r[idAt])).size).toBe(20);

    const all = await call("GET", "/v1/vouchers?format=csv", { token: admin.key });
    const allLines = (all.body as string).split(/\r?\n/).filter((l) => l.length > 0);
    expect(allLines).toHaveLength(31);
    expect(allLines.slice(1).map((l) => l.split(",")[codeAt]).sort()).toEqual([...wanted, ...others].sort());

    const none = await call("GET", "/v1/vouchers?format=csv&code_prefix=NOPE", { token: admin.key });
    expect((none.body as string).split(/\r?\n/).filter((l) => l.length > 0)).toHaveLength(1);
  });
});
