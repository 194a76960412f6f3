// Reservations (API.md §10): a held reservation counts like a redemption everywhere, redeeming it cannot fail for
// limits, budget or balance, and it is given back by itself at its expiry.
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { VoucherObject } from "../../src/objects/voucher";
import { call, createKey, expectError, newTeam } from "../helpers/api";
import { campaignStats, createCampaign } from "../helpers/campaigns";
import { createVoucher, order, redeem, uniqueCode, voucherObject } from "../helpers/vouchers";

async function setup(voucher: Record<string, unknown> = {}) {
  const { owner, admin } = await newTeam();
  // A generous rate limit: these tests are about the voucher, not the credential's window.
  const key = await createKey(owner.accessToken, { name: "checkout", rate_limit_per_minute: 10_000 });
  const v = await createVoucher(admin.key, { code: uniqueCode("RSV"), ...voucher });
  return { owner, admin, token: key.key, code: v.code as string, teamId: owner.teamId };
}

const reserve = (token: string, code: string, body: Record<string, unknown>, headers?: Record<string, string>) =>
  call("POST", `/v1/vouchers/${code}/reserve`, { token, body, headers });
const getReservation = (token: string, code: string, id: string) => call("GET", `/v1/vouchers/${code}/reservations/${id}`, { token });
const release = (token: string, code: string, id: string) => call("DELETE", `/v1/vouchers/${code}/reservations/${id}`, { token });

async function reserveOk(token: string, code: string, body: Record<string, unknown>) {
  const res = await reserve(token, code, body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

const count = async (token: string, code: string) => (await call("GET", `/v1/vouchers/${code}`, { token })).body.redemptions_count as number;

/** Moves a held reservation's expiry into the past inside its voucher's object: the clock, advanced. */
async function advancePastExpiry(teamId: string, code: string, id: string) {
  await runInDurableObject(voucherObject(teamId, code), (_instance: VoucherObject, state) => {
    const row = state.storage.sql.exec<{ record: string }>("SELECT record FROM reservations WHERE id = ?", id).one();
    const record = { ...JSON.parse(row.record), expiresAt: Date.now() - 1 };
    state.storage.sql.exec("UPDATE reservations SET expires_at = ?, record = ? WHERE id = ?", record.expiresAt, JSON.stringify(record), id);
  });
}

describe("reserve, get, release, redeem by reservation", () => {
  it("reserve → 201 a held reservation with its amounts; get answers the same; redeem turns it into that redemption", async () => {
    const { token, code } = await setup({ discount: { type: "amount", amount_off: 700 }, currency: "EUR", redemption_limit: 5 });
    const theOrder = order(5000);
    const before = Date.now();
    const r = await reserveOk(token, code, { customer_id: "cus-1", order: theOrder, ttl_seconds: 120 });
    expect(r).toMatchObject({
      object: "reservation",
      status: "held",
      code,
      campaign_id: null,
      customer_id: "cus-1",
      discount_amount: 700,
      currency: "EUR",
      redemption_id: null,
      order: { id: theOrder.id, amount: 5000, discount_amount: 700, total_amount: 4300 },
    });
    expect(r.id).toMatch(/^rsv_[0-9A-Z]{26}$/);
    const expiresAt = Date.parse(r.expires_at);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 120_000 - 1000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 120_000 + 1000);
    expect((await getReservation(token, code, r.id)).body).toEqual(r);
    // Held counts as used, though nothing is redeemed yet.
    const seen = await call("POST", `/v1/vouchers/${code}/validate`, { token, body: { order: order(5000) } });
    expect(seen.body.remaining_redemptions).toBe(4);
    expect(await count(token, code)).toBe(0);

    const redeemed = await redeem(token, code, { reservation_id: r.id });
    expect(redeemed.status, JSON.stringify(redeemed.body)).toBe(201);
    expect(redeemed.body).toMatchObject({ object: "redemption", status: "redeemed", customer_id: "cus-1", discount_amount: 700, order: { id: theOrder.id } });
    expect(redeemed.body.id).toBe(`red_${r.id.slice(4)}`);
    expect(redeemed.body.remaining_redemptions).toBe(4);
    const after = (await getReservation(token, code, r.id)).body;
    expect(after).toMatchObject({ status: "redeemed", redemption_id: redeemed.body.id });
    expect(await count(token, code)).toBe(1);
    // Once redeemed it is no longer held: neither redeemed again nor released.
    expectError(await redeem(token, code, { reservation_id: r.id }), 409, "reservation_not_held");
    const again = await release(token, code, r.id);
    expectError(again, 409, "reservation_not_held");
    expect(again.body.reservation_status).toBe("redeemed");
  });

  it("ttl_seconds defaults to 300 and must be 30..900; the body is strict and needs order.id", async () => {
    const { token, code } = await setup();
    const r = await reserveOk(token, code, { order: order() });
    expect(Date.parse(r.expires_at) - Date.parse(r.created_at)).toBe(300_000);
    for (const ttl of [29, 901, 1.5, "60"]) expectError(await reserve(token, code, { order: order(), ttl_seconds: ttl }), 400, "invalid_request");
    expectError(await reserve(token, code, { order: { amount: 100 } }), 400, "invalid_request");
    expectError(await reserve(token, code, { order: order(), extra: 1 }), 400, "invalid_request");
    expectError(await redeem(token, code, { reservation_id: "nope" }), 400, "invalid_request");
    expectError(await redeem(token, code, { customer_id: "c" }), 400, "invalid_request");
  });

  it("refusals are those of redeem: 404 unknown code, 409 limit, 409 duplicate order, 422 not eligible", async () => {
    const { token, code } = await setup({ redemption_limit: 1, rules: { min_order_amount: 1000 } });
    expectError(await reserve(token, "NO-SUCH-CODE", { order: order() }), 404, "voucher_not_found");
    const low = await reserve(token, code, { order: order(500) });
    expectError(low, 422, "voucher_not_eligible");
    expect(low.body.reason).toBe("order_below_minimum");
    const theOrder = order();
    const r = await reserveOk(token, code, { order: theOrder });
    expectError(await reserve(token, code, { order: order() }), 409, "redemption_limit_reached");
    // Its order cannot be redeemed any other way, nor reserved twice.
    const dup = await redeem(token, code, { order: theOrder });
    expectError(dup, 409, "duplicate_redemption");
    expect(JSON.stringify(dup.body.details)).toContain(r.id);
    expectError(await reserve(token, code, { order: theOrder }), 409, "duplicate_redemption");
  });

  it("a redeem naming a reservation must agree with it where it repeats it, and find it on this voucher", async () => {
    const { admin, token, code } = await setup({ redemption_limit: 3 });
    const other = await createVoucher(admin.key, { code: uniqueCode("RSV") });
    const theOrder = order(8000);
    const r = await reserveOk(token, code, { customer_id: "cus-1", order: theOrder });
    const wrong = await redeem(token, code, { reservation_id: r.id, customer_id: "cus-2", order: { ...theOrder, amount: 9000 } });
    expectError(wrong, 422, "reservation_mismatch");
    expect(wrong.body.details.map((d: { path: string }) => d.path).sort()).toEqual(["customer_id", "order.amount"]);
    expectError(await redeem(token, other.code, { reservation_id: r.id }), 404, "not_found");
    expectError(await redeem(token, code, { reservation_id: "rsv_01JDZZZZZZZZZZZZZZZZZZZZZZ" }), 404, "not_found");
    // Still held after the refusals; the same fields repeated are fine.
    const ok = await redeem(token, code, { reservation_id: r.id, customer_id: "cus-1", order: theOrder });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
  });

  it("release → 204 gives everything back at once; twice → 409 reservation_not_held", async () => {
    const { token, code } = await setup({ redemption_limit: 1, per_customer_limit: 1 });
    const r = await reserveOk(token, code, { customer_id: "cus-1", order: order() });
    expectError(await reserve(token, code, { customer_id: "cus-2", order: order() }), 409, "redemption_limit_reached");
    const released = await release(token, code, r.id);
    expect(released.status).toBe(204);
    expect((await getReservation(token, code, r.id)).body.status).toBe("released");
    const again = await release(token, code, r.id);
    expectError(again, 409, "reservation_not_held");
    expect(again.body.reservation_status).toBe("released");
    expectError(await redeem(token, code, { reservation_id: r.id }), 409, "reservation_not_held");
    // The count and the customer's count are free again.
    const next = await redeem(token, code, { customer_id: "cus-1", order: order() });
    expect(next.status, JSON.stringify(next.body)).toBe(201);
  });

  it("a held reservation counts against the per-customer limit", async () => {
    const { token, code } = await setup({ per_customer_limit: 2 });
    await reserveOk(token, code, { customer_id: "cus-1", order: order() });
    await reserveOk(token, code, { customer_id: "cus-1", order: order() });
    expectError(await redeem(token, code, { customer_id: "cus-1", order: order() }), 409, "customer_limit_reached");
    expectError(await reserve(token, code, { customer_id: "cus-1", order: order() }), 409, "customer_limit_reached");
    await reserveOk(token, code, { customer_id: "cus-2", order: order() });
  });

  it("dry-run → 400; publishable keys cannot reserve; read-only and validate-only keys lack the scope", async () => {
    const { owner, token, code } = await setup();
    expectError(await reserve(token, code, { order: order() }, { "Vauchflow-Dry-Run": "true" }), 400, "dry_run_not_supported");
    const shop = "https://shop.example";
    const pk = await createKey(owner.accessToken, { name: "storefront", type: "publishable", allowed_origins: [shop] });
    expectError(await reserve(pk.key, code, { order: order() }, { Origin: shop }), 403, "key_type_not_allowed");
    const reader = await createKey(owner.accessToken, { name: "reader", scopes: ["read"] });
    expectError(await reserve(reader.key, code, { order: order() }), 403, "insufficient_scope");
    // Nothing was held by the refusals.
    const r = await reserveOk(token, code, { order: order() });
    expect(r.status).toBe("held");
  });

  it("the same Idempotency-Key reserves once and answers the same reservation", async () => {
    const { token, code } = await setup({ redemption_limit: 5 });
    const body = { order: order() };
    const headers = { "Idempotency-Key": `idem-${crypto.randomUUID()}` };
    const answers = await Promise.all([0, 1, 2].map(() => reserve(token, code, body, headers)));
    const created = answers.filter((a) => a.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(answers.every((a) => a.status === 201 || (a.status === 409 && a.body.error === "idempotency_key_in_use"))).toBe(true);
    const replay = await reserve(token, code, body, headers);
    expect(replay.status).toBe(201);
    expect(replay.headers.get("Idempotent-Replayed")).toBe("true");
    expect(new Set([...created, replay].map((a) => a.body.id)).size).toBe(1);
    const validated = await call("POST", `/v1/vouchers/${code}/validate`, { token, body: { order: order() } });
    expect(validated.body.remaining_redemptions).toBe(4);
  });

  it("another team sees neither the reservation nor the voucher, even holding the same code", async () => {
    const { token, code } = await setup();
    const r = await reserveOk(token, code, { order: order() });
    const intruder = await newTeam();
    expectError(await getReservation(intruder.admin.key, code, r.id), 404, "voucher_not_found");
    expectError(await release(intruder.admin.key, code, r.id), 404, "voucher_not_found");
    await createVoucher(intruder.admin.key, { code });
    expectError(await getReservation(intruder.admin.key, code, r.id), 404, "not_found");
    expectError(await release(intruder.admin.key, code, r.id), 404, "not_found");
    expectError(await redeem(intruder.admin.key, code, { reservation_id: r.id }), 404, "not_found");
    expect((await getReservation(token, code, r.id)).body.status).toBe("held");
  });
});

describe("expiry gives everything back by itself", () => {
  it("the voucher's alarm is set for expires_at, and firing it expires the reservation: count, customer and budget come back", async () => {
    const { owner, admin } = await newTeam();
    const campaign = await createCampaign(admin.key, { discount: { type: "amount", amount_off: 1000 }, currency: "EUR", budget_cap: { amount: 1000 } });
    const v = await createVoucher(admin.key, { campaign_id: campaign.id, code: uniqueCode("EXP"), redemption_limit: 1, discount: undefined });
    const r = await reserveOk(admin.key, v.code, { customer_id: "cus-1", order: order(5000), ttl_seconds: 30 });
    const stub = voucherObject(owner.teamId, v.code);
    const alarm = await runInDurableObject(stub, (_i: VoucherObject, state) => state.storage.getAlarm());
    expect(alarm).not.toBeNull();
    // expires_at is shown to the second; the alarm fires at the exact millisecond.
    expect(alarm!).toBeLessThan(Date.parse(r.expires_at) + 1000);
    expect((await campaignStats(admin.key, campaign.id)).budget_remaining).toBe(0);
    expectError(await reserve(admin.key, v.code, { order: order(5000) }), 409, "redemption_limit_reached");

    await advancePastExpiry(owner.teamId, v.code, r.id);
    // The alarm may first fire for the shipper's own work; it re-arms for the reservation until it has expired.
    for (let i = 0; i < 5 && (await runInDurableObject(stub, (_i: VoucherObject, s) => s.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM reservations WHERE status = 'held'").one().n)) > 0; i++) {
      await runDurableObjectAlarm(stub);
    }
    const expired = await runInDurableObject(stub, (_i: VoucherObject, s) => s.storage.sql.exec<{ status: string }>("SELECT status FROM reservations WHERE id = ?", r.id).one().status);
    expect(expired).toBe("expired");
    expect((await campaignStats(admin.key, campaign.id)).budget_remaining).toBe(1000);
    expectError(await redeem(admin.key, v.code, { reservation_id: r.id }), 409, "reservation_not_held");
    const after = await redeem(admin.key, v.code, { customer_id: "cus-1", order: order(5000) });
    expect(after.status, JSON.stringify(after.body)).toBe(201);
  });

  it("a reservation past its time is expired when read, released or redeemed, even before the alarm ran", async () => {
    const { token, code, teamId } = await setup({ redemption_limit: 1 });
    const r = await reserveOk(token, code, { order: order() });
    await advancePastExpiry(teamId, code, r.id);
    expectError(await redeem(token, code, { reservation_id: r.id }), 409, "reservation_not_held");
    expect((await getReservation(token, code, r.id)).body.status).toBe("expired");
    expectError(await release(token, code, r.id), 409, "reservation_not_held");
    await reserveOk(token, code, { order: order() });
  });
});

describe("storms", () => {
  it("300 concurrent reserves on a limit of 50 → exactly 50 held; 50 concurrent redeems by reservation → exactly 50 redemptions", async () => {
    const { token, code } = await setup({ redemption_limit: 50 });
    const answers = await Promise.all(Array.from({ length: 300 }, () => reserve(token, code, { order: order() })));
    const held = answers.filter((a) => a.status === 201);
    expect(held).toHaveLength(50);
    expect(answers.filter((a) => a.status === 409 && a.body.error === "redemption_limit_reached")).toHaveLength(250);
    // Nobody else gets through while they are held.
    expectError(await redeem(token, code, { order: order() }), 409, "redemption_limit_reached");
    const redeemed = await Promise.all(held.map((h) => redeem(token, code, { reservation_id: h.body.id })));
    expect(redeemed.filter((a) => a.status === 201)).toHaveLength(50);
    expect(new Set(redeemed.map((a) => a.body.id)).size).toBe(50);
    expect(await count(token, code)).toBe(50);
    expectError(await reserve(token, code, { order: order() }), 409, "redemption_limit_reached");
  });

  it("a campaign's budget: 100 concurrent reserves of 700 on a budget of 10,000 → 14 held, and all 14 redeem", async () => {
    const { owner, admin } = await newTeam();
    const token = (await createKey(owner.accessToken, { name: "checkout", rate_limit_per_minute: 10_000 })).key;
    const campaign = await createCampaign(admin.key, { discount: { type: "amount", amount_off: 700 }, currency: "EUR", budget_cap: { amount: 10_000 } });
    const codes = await Promise.all(Array.from({ length: 5 }, () => createVoucher(admin.key, { campaign_id: campaign.id, code: uniqueCode("BDG"), discount: undefined }).then((v) => v.code as string)));
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => reserve(token, codes[i % codes.length]!, { order: order(5000) })));
    const held = answers.filter((a) => a.status === 201);
    expect(held).toHaveLength(14);
    expect(answers.filter((a) => a.status === 422 && a.body.reason === "budget_exhausted")).toHaveLength(86);
    expect((await campaignStats(admin.key, campaign.id)).budget_remaining).toBe(200);
    const redeemed = await Promise.all(held.map((h) => redeem(token, h.body.code, { reservation_id: h.body.id })));
    expect(redeemed.filter((a) => a.status === 201)).toHaveLength(14);
    const stats = await campaignStats(admin.key, campaign.id);
    expect(stats.discount_total).toBe(9800);
    expect(stats.budget_remaining).toBe(200);
  });

  it("a gift card's balance: 40 concurrent reserves of 1,000 on 10,000 → 10 held; redeeming them all empties it exactly", async () => {
    const { token, code } = await setup({ type: "gift_card", gift_card: { amount: 10_000 }, currency: "EUR", discount: undefined });
    const answers = await Promise.all(Array.from({ length: 40 }, () => reserve(token, code, { order: order(5000), amount: 1000 })));
    const held = answers.filter((a) => a.status === 201);
    expect(held).toHaveLength(10);
    expect(held.every((h) => h.body.discount_amount === 1000)).toBe(true);
    const refused = answers.filter((a) => a.status !== 201);
    expect(refused.every((a) => a.status === 422 && a.body.reason === "insufficient_balance")).toBe(true);
    const redeemed = await Promise.all(held.map((h) => redeem(token, code, { reservation_id: h.body.id })));
    expect(redeemed.every((a) => a.status === 201)).toBe(true);
    const voucher = await call("GET", `/v1/vouchers/${code}`, { token });
    expect(voucher.body.gift_card.balance).toBe(0);
  });

  it("release racing redeem on one reservation: exactly one of them wins, every time", async () => {
    const { token, code } = await setup({ redemption_limit: 1000 });
    for (let i = 0; i < 20; i++) {
      const r = await reserveOk(token, code, { order: order() });
      const [released, redeemed] = await Promise.all([release(token, code, r.id), redeem(token, code, { reservation_id: r.id })]);
      const outcomes = [released.status, redeemed.status].sort();
      expect([[204, 409], [201, 409]]).toContainEqual(outcomes);
      const loser = released.status === 204 ? redeemed : released;
      expect(loser.body.error).toBe("reservation_not_held");
      const final = (await getReservation(token, code, r.id)).body;
      expect(final.status).toBe(released.status === 204 ? "released" : "redeemed");
    }
    const voucher = await call("GET", `/v1/vouchers/${code}`, { token });
    const validated = await call("POST", `/v1/vouchers/${code}/validate`, { token, body: { order: order() } });
    // Whatever won each race, nothing stays held: the remaining count is the limit less the redemptions.
    expect(validated.body.remaining_redemptions).toBe(1000 - voucher.body.redemptions_count);
  });
});
