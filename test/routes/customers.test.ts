// API.md §7, customers: registration, the live redemption count, and the full redemption history.
import { describe, expect, it } from "vitest";
import { call, newTeam, sleep } from "../helpers/api";
import { uniqueId } from "../helpers/guarantees";
import { readCsv } from "../helpers/csv";
import { expectApiError } from "../helpers/security";
import { createVoucher, flushedRead, order, redeemOk, rollback } from "../helpers/vouchers";

const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const getCustomer = (token: string, id: string) => call("GET", `/v1/customers/${encodeURIComponent(id)}`, { token });
const history = async (token: string, id: string, query = "") => {
  const res = await call("GET", `/v1/customers/${encodeURIComponent(id)}/redemptions${query}`, { token });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { data: any[]; has_more: boolean; next_cursor: string | null };
};

describe("POST /v1/customers", () => {
  it("201 {id, object, metadata, created_at}; GET answers the same with redemptions_count 0", async () => {
    const { admin } = await newTeam();
    const id = uniqueId();
    const res = await call("POST", "/v1/customers", { token: admin.key, body: { id, metadata: { tier: "gold" } } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(Object.keys(res.body).sort()).toEqual(["created_at", "id", "metadata", "object"]);
    expect(res.body).toMatchObject({ id, object: "customer", metadata: { tier: "gold" } });
    expect(res.body.created_at).toMatch(RFC3339_UTC);

    const got = await getCustomer(admin.key, id);
    expect(got.status).toBe(200);
    expect(got.body).toEqual({ ...res.body, redemptions_count: 0 });
    // Without metadata, it is an empty object.
    const bare = await call("POST", "/v1/customers", { token: admin.key, body: { id: uniqueId() } });
    expect(bare.status).toBe(201);
    expect(bare.body.metadata).toEqual({});
  });

  it("an existing id → 409 duplicate_customer; the first stays as it was", async () => {
    const { admin } = await newTeam();
    const id = uniqueId();
    expect((await call("POST", "/v1/customers", { token: admin.key, body: { id, metadata: { v: "1" } } })).status).toBe(201);
    expectApiError(await call("POST", "/v1/customers", { token: admin.key, body: { id, metadata: { v: "2" } } }), 409, "duplicate_customer");
    expect((await getCustomer(admin.key, id)).body.metadata).toEqual({ v: "1" });
  });

  it("invalid ids and metadata → 400", async () => {
    const { admin } = await newTeam();
    for (const body of [{}, { id: "" }, { id: "has space" }, { id: "a/b" }, { id: "x".repeat(129) }, { id: uniqueId(), metadata: { k: "x".repeat(501) } }, { id: uniqueId(), name: "x" }]) {
      const res = await call("POST", "/v1/customers", { token: admin.key, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expectApiError(res, 400, res.body.error);
    }
    // Printable ASCII only (API.md §1): no other script, no emoji, no DEL or other control characters.
    for (const id of ["kundé-1", "客户-2", "cus-😀", "cus\u007f", "cus\u0085x", "cus\u00a0x"]) {
      expectApiError(await call("POST", "/v1/customers", { token: admin.key, body: { id } }), 400, "invalid_request");
    }
    // 128 characters is the upper edge; every printable ASCII character but space and / may be used.
    expect((await call("POST", "/v1/customers", { token: admin.key, body: { id: "c".repeat(128) } })).status).toBe(201);
    const punctuation = `!"#$%&'()*+,-.:;<=>?@[\\]^_\`{|}~${uniqueId()}`;
    expect((await call("POST", "/v1/customers", { token: admin.key, body: { id: punctuation } })).status).toBe(201);
  });
});

describe("GET /v1/customers/{id}", () => {
  it("an unknown id → 404 (for the profile and the history)", async () => {
    const { admin } = await newTeam();
    const id = uniqueId();
    const res = await getCustomer(admin.key, id);
    expect(res.status).toBe(404);
    expectApiError(res, 404, res.body.error);
    const hist = await call("GET", `/v1/customers/${id}/redemptions`, { token: admin.key });
    expect(hist.status).toBe(404);
    expectApiError(hist, 404, hist.body.error);
  });

  it("redemptions_count counts live redemptions, not rolled-back ones", async () => {
    const { owner, admin } = await newTeam();
    const id = uniqueId();
    expect((await call("POST", "/v1/customers", { token: admin.key, body: { id } })).status).toBe(201);
    const a = await createVoucher(admin.key);
    const b = await createVoucher(admin.key);
    const ra = await redeemOk(admin.key, a.code, { customer_id: id, order: order() });
    const rb = await redeemOk(admin.key, b.code, { customer_id: id, order: order() });
    const rb2 = await redeemOk(admin.key, b.code, { customer_id: id, order: order() });
    expect((await rollback(admin.key, b.code, { redemption_id: rb.id })).status).toBe(200);

    const objects = [a, b].map((v) => ({ teamId: owner.teamId, code: v.code }));
    // Once the history holds all three (one rolled back), the count is exact.
    const page = await flushedRead(
      objects,
      () => history(admin.key, id),
      (p) => p.data.length === 3 && p.data.find((r) => r.id === rb.id)?.status === "rolled_back",
    );
    expect(page.data.map((r) => r.id).sort()).toEqual([ra.id, rb.id, rb2.id].sort());
    const got = await getCustomer(admin.key, id);
    expect(got.status).toBe(200);
    expect(got.body.redemptions_count).toBe(2);
  });
});

describe("GET /v1/customers/{id}/redemptions", () => {
  it("full history newest first, rolled-back ones included with rolled_back_at; paginated", async () => {
    const { owner, admin } = await newTeam();
    const id = uniqueId();
    const v = await createVoucher(admin.key, { discount: { type: "amount", amount_off: 300 }, currency: "EUR" });
    const gift = await createVoucher(admin.key, { type: "gift_card", gift_card: { amount: 5000 }, currency: "EUR", discount: undefined });
    const made: any[] = [];
    for (const [code, body] of [
      [v.code, { order: order(1000) }],
      [gift.code, { order: order(4000), amount: 1500 }],
      [v.code, { order: order(2000) }],
    ] as const) {
      made.push(await redeemOk(admin.key, code, { customer_id: id, ...body }));
      await sleep(5); // distinct milliseconds, so "newest first" is well defined
    }
    const rolled = await rollback(admin.key, gift.code, { redemption_id: made[1]!.id, reason: "returned" });
    expect(rolled.status).toBe(200);
    // Someone else's redemption is not in this customer's history.
    await redeemOk(admin.key, v.code, { customer_id: uniqueId(), order: order(1000) });

    const objects = [v, gift].map((x) => ({ teamId: owner.teamId, code: x.code }));
    const full = await flushedRead(
      objects,
      () => history(admin.key, id, "?limit=100"),
      (p) => p.data.length === 3 && p.data.some((r) => r.status === "rolled_back"),
    );
    const newestFirst = [...made].reverse();
    expect(full.data.map((r) => r.id)).toEqual(newestFirst.map((r) => r.id));
    expect(full.has_more).toBe(false);
    expect(full.next_cursor).toBeNull();

    for (const r of full.data) {
      expect(r).toMatchObject({ object: "redemption", customer_id: id });
      expect(r.created_at).toMatch(RFC3339_UTC);
    }
    const [third, second, first] = full.data;
    expect(third).toMatchObject({ status: "redeemed", rolled_back_at: null, code: v.code, discount_amount: 300, order: { amount: 2000, total_amount: 1700 } });
    expect(second).toMatchObject({ status: "rolled_back", code: gift.code, discount_amount: 1500 });
    expect(second.rolled_back_at).toMatch(RFC3339_UTC);
    expect(second.rolled_back_at).toBe(rolled.body.rolled_back_at);
    expect(first).toMatchObject({ status: "redeemed", rolled_back_at: null, created_at: made[0]!.created_at, discount_amount: 300 });

    // Pages of 2: each redemption exactly once, in the same order.
    const p1 = await history(admin.key, id, "?limit=2");
    expect(p1.data.map((r) => r.id)).toEqual(newestFirst.slice(0, 2).map((r) => r.id));
    expect(p1.has_more).toBe(true);
    expect(typeof p1.next_cursor).toBe("string");
    const p2 = await history(admin.key, id, `?limit=2&cursor=${encodeURIComponent(p1.next_cursor!)}`);
    expect(p2.data.map((r) => r.id)).toEqual([newestFirst[2]!.id]);
    expect(p2.has_more).toBe(false);
    expect(p2.next_cursor).toBeNull();
    expect((await call("GET", `/v1/customers/${id}/redemptions?limit=0`, { token: admin.key })).status).toBe(400);

    // The live count leaves the rolled-back one out.
    expect((await getCustomer(admin.key, id)).body.redemptions_count).toBe(2);
  });

  it("an unknown customer id used in a redemption is registered automatically", async () => {
    const { owner, admin } = await newTeam();
    const id = uniqueId("walk-in");
    expect((await getCustomer(admin.key, id)).status).toBe(404);
    const v = await createVoucher(admin.key);
    const r = await redeemOk(admin.key, v.code, { customer_id: id, order: order() });

    const got = await flushedRead(
      [{ teamId: owner.teamId, code: v.code }],
      () => getCustomer(admin.key, id),
      (res) => res.status === 200 && res.body.redemptions_count === 1,
    );
    expect(got.status, JSON.stringify(got.body)).toBe(200);
    expect(got.body).toMatchObject({ id, object: "customer", metadata: {}, redemptions_count: 1 });
    expect(got.body.created_at).toMatch(RFC3339_UTC);
    expect((await history(admin.key, id)).data.map((x) => x.id)).toEqual([r.id]);
    // Registered now: creating it explicitly is a duplicate.
    expectApiError(await call("POST", "/v1/customers", { token: admin.key, body: { id } }), 409, "duplicate_customer");
  });

  it("a registered customer's existing metadata survives their first redemption", async () => {
    const { owner, admin } = await newTeam();
    const id = uniqueId();
    expect((await call("POST", "/v1/customers", { token: admin.key, body: { id, metadata: { tier: "gold" } } })).status).toBe(201);
    const v = await createVoucher(admin.key);
    await redeemOk(admin.key, v.code, { customer_id: id, order: order() });
    const got = await flushedRead(
      [{ teamId: owner.teamId, code: v.code }],
      () => getCustomer(admin.key, id),
      (res) => res.body?.redemptions_count === 1,
    );
    expect(got.body).toMatchObject({ id, metadata: { tier: "gold" }, redemptions_count: 1 });
  });
});

describe("GET /v1/customers/{id}/export", () => {
  it("JSON and CSV hold the profile and every redemption, rolled-back ones included; another team gets 404", async () => {
    const { owner, admin } = await newTeam();
    const id = `cus-export-${crypto.randomUUID().slice(0, 8)}`;
    expect((await call("POST", "/v1/customers", { token: admin.key, body: { id, metadata: { tier: "gold, \"vip\"" } } })).status).toBe(201);
    const voucher = await createVoucher(admin.key, { discount: { type: "amount", amount_off: 100 }, currency: "EUR" });
    const kept = await redeemOk(admin.key, voucher.code, { customer_id: id, order: order(1000) });
    const undone = await redeemOk(admin.key, voucher.code, { customer_id: id, order: order(2000) });
    expect((await call("POST", `/v1/vouchers/${voucher.code}/rollback`, { token: admin.key, body: { redemption_id: undone.id } })).status).toBe(200);

    const json = await flushedRead(
      [{ teamId: owner.teamId, code: voucher.code }],
      () => call("GET", `/v1/customers/${id}/export`, { token: admin.key }),
      (r) => r.body?.redemptions?.some((x: { status: string }) => x.status === "rolled_back"),
    );
    expect(json.status).toBe(200);
    expect(json.body).toMatchObject({ object: "customer_export", customer: { id, metadata: { tier: "gold, \"vip\"" } } });
    expect(json.body.redemptions.map((r: { id: string; status: string }) => [r.id, r.status])).toEqual([
      [kept.id, "redeemed"],
      [undone.id, "rolled_back"],
    ]);

    const csv = await call("GET", `/v1/customers/${id}/export?format=csv`, { token: admin.key });
    expect(csv.headers.get("Content-Type")).toMatch(/^text\/csv/);
    const rows = readCsv(String(csv.body));
    expect(rows[0]![0]).toBe("record");
    expect(rows.slice(1).map((r) => [r[0], r[1]])).toEqual([
      ["customer", id],
      ["redemption", kept.id],
      ["redemption", undone.id],
    ]);
    expect(JSON.parse(rows[1]![13]!)).toEqual({ tier: "gold, \"vip\"" });

    const other = await newTeam();
    expectApiError(await call("GET", `/v1/customers/${id}/export`, { token: other.admin.key }), 404, "not_found");
    expectApiError(await call("GET", `/v1/customers/${id}/export?format=xml`, { token: admin.key }), 400, "invalid_request");
  });
});
