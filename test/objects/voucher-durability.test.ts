// An acknowledged redemption is never lost: D1 is fed from the voucher object's outbox, whose entries leave only
// once the ledger queue has accepted them, and whose consumer writes D1 idempotently, retried until it lands.
// D1's copy never goes backwards, whatever order two deliveries land in.
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import type { LedgerMessage } from "../../src/domain/ledger";
import { call, newTeam } from "../helpers/api";
import { deliver, emptiedOutbox, LEDGER, outboxSize, realQueue, type Sent, standInQueue, unavailableD1, withEnv } from "../helpers/ledger";
import { flushVoucher, voucherObject } from "../helpers/vouchers";

const sentNothing = (): Sent => ({ messages: [], refused: 0, sends: 0 });

async function redemptionRows(id: string) {
  const { results } = await env.DB.prepare("SELECT status, discount_amount, customer_id FROM redemptions WHERE id = ?").bind(id).all();
  return results;
}

describe("redemption durability", () => {
  it("keeps an acknowledged redemption while the queue refuses it, and D1 gets it once the queue is back", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const { owner, admin } = await newTeam();
    const created = await call("POST", "/v1/vouchers", { token: admin.key, body: { code: "OUTAGE-1", discount: { type: "percent", percent_off: 10 } } });
    expect(created.status).toBe(201);
    const stub = voucherObject(owner.teamId, "OUTAGE-1");
    const sent = sentNothing();
    await standInQueue(stub, sent, [], "refuse");

    const redeemed = await call("POST", "/v1/vouchers/OUTAGE-1/redeem", { token: admin.key, body: { customer_id: "cus-outage", order: { id: "o-1", amount: 5000 } } });
    expect(redeemed.status).toBe(201);
    // The send is refused: the redemption stays in the outbox, the voucher's new state stays unsent, and the
    // alarm will try again.
    await runDurableObjectAlarm(stub);
    expect(sent.refused).toBeGreaterThanOrEqual(1);
    expect(sent.messages).toEqual([]);
    expect(await outboxSize(stub)).toBe(1);
    const mirror = (state: DurableObjectState) => state.storage.sql.exec<{ v: number; s: number }>("SELECT mirror_version AS v, mirror_shipped AS s FROM counters").one();
    expect(await runInDurableObject(stub, (_i, state) => mirror(state))).toEqual({ v: 1, s: 0 });
    expect(await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())).not.toBeNull();
    expect(await redemptionRows(redeemed.body.id)).toEqual([]);

    // The voucher keeps serving from its own state meanwhile.
    const voucher = await call("GET", "/v1/vouchers/OUTAGE-1", { token: admin.key });
    expect(voucher.body.redemptions_count).toBe(1);

    await realQueue(stub);
    await flushVoucher(owner.teamId, "OUTAGE-1");
    expect(await redemptionRows(redeemed.body.id)).toEqual([{ status: "redeemed", discount_amount: 500, customer_id: "cus-outage" }]);
    const history = await call("GET", "/v1/customers/cus-outage/redemptions", { token: admin.key });
    expect(history.body.data.map((r: { id: string }) => r.id)).toEqual([redeemed.body.id]);
    const mirrored = await env.DB.prepare("SELECT redemptions_count FROM vouchers WHERE team_id = ? AND code = 'OUTAGE-1'").bind(owner.teamId).first();
    expect(mirrored).toEqual({ redemptions_count: 1 });
    expect(await emptiedOutbox(stub)).toBe(0);
    // Nothing is left waiting, so no alarm will wake the object for it.
    expect(await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())).toBeNull();
  });

  it("D1 failing: the delivery is retried whole, nothing acknowledged; delivered again and again, it is written once", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    vi.spyOn(console, "log").mockImplementation(() => {});
    const { owner, admin } = await newTeam();
    await call("POST", "/v1/vouchers", { token: admin.key, body: { code: "TWICE-1", discount: { type: "amount", amount_off: 100 }, currency: "EUR" } });
    const stub = voucherObject(owner.teamId, "TWICE-1");
    const sent = sentNothing();
    await standInQueue(stub, sent);
    const redeemed = await call("POST", "/v1/vouchers/TWICE-1/redeem", { token: admin.key, body: { customer_id: "cus-twice", order: { id: "o-1", amount: 5000 } } });
    expect(redeemed.status).toBe(201);
    await runDurableObjectAlarm(stub);
    expect(sent.messages).toHaveLength(1);

    const down = await deliver(LEDGER, sent.messages, { env: withEnv({ DB: unavailableD1() }) });
    expect(down.result.explicitAcks).toEqual([]);
    expect(down.result.retryMessages.map((m) => m.msgId)).toEqual(down.ids);
    expect(await redemptionRows(redeemed.body.id)).toEqual([]);

    const back = await deliver(LEDGER, sent.messages, { attempts: 2 });
    expect(back.result.explicitAcks).toEqual(back.ids);
    const once = await redemptionRows(redeemed.body.id);
    expect(once).toEqual([{ status: "redeemed", discount_amount: 100, customer_id: "cus-twice" }]);
    // Redelivered alone, twice at once, and alongside itself.
    await Promise.all([deliver(LEDGER, sent.messages), deliver(LEDGER, sent.messages), deliver(LEDGER, [...sent.messages, ...sent.messages])]);
    expect(await redemptionRows(redeemed.body.id)).toEqual(once);
    const count = await env.DB.prepare("SELECT count(*) AS n FROM redemptions WHERE team_id = ?").bind(owner.teamId).first();
    expect(count).toEqual({ n: 1 });
    const customers = await env.DB.prepare("SELECT count(*) AS n FROM customers WHERE team_id = ?").bind(owner.teamId).first();
    expect(customers).toEqual({ n: 1 });
  });

  it("two deliveries landing in reverse order leave the newer state in D1: the rollback, and the count after it", async () => {
    vi.spyOn(console, "log").mockImplementation(() => {});
    const { owner, admin } = await newTeam();
    await call("POST", "/v1/vouchers", { token: admin.key, body: { code: "ORDER-1", discount: { type: "amount", amount_off: 100 }, currency: "EUR" } });
    const stub = voucherObject(owner.teamId, "ORDER-1");
    const sent = sentNothing();
    await standInQueue(stub, sent);
    const redeemed = await call("POST", "/v1/vouchers/ORDER-1/redeem", { token: admin.key, body: { order: { id: "o-1", amount: 5000 } } });
    expect(redeemed.status).toBe(201);
    await runDurableObjectAlarm(stub);
    const older: LedgerMessage[] = sent.messages.splice(0);
    const undone = await call("POST", "/v1/vouchers/ORDER-1/rollback", { token: admin.key, body: { redemption_id: redeemed.body.id } });
    expect(undone.status).toBe(200);
    await runDurableObjectAlarm(stub);
    const newer: LedgerMessage[] = sent.messages.splice(0);
    expect(older.flatMap((m) => m.entries.map((e) => e.kind)).sort()).toEqual(["redemption", "voucher_state"]);
    expect(newer.flatMap((m) => m.entries.map((e) => e.kind)).sort()).toEqual(["redemption", "voucher_state"]);

    // The rollback's delivery lands first; the redemption's, late, changes nothing.
    await deliver(LEDGER, newer);
    await deliver(LEDGER, older);
    const voucher = await env.DB.prepare("SELECT redemptions_count, mirror_version FROM vouchers WHERE team_id = ? AND code = 'ORDER-1'").bind(owner.teamId).first();
    expect(voucher).toEqual({ redemptions_count: 0, mirror_version: 2 });
    expect(await redemptionRows(redeemed.body.id)).toEqual([{ status: "rolled_back", discount_amount: 100, customer_id: null }]);
    // Both in one delivery, late one last: the same.
    await deliver(LEDGER, [...newer, ...older]);
    expect(await redemptionRows(redeemed.body.id)).toEqual([{ status: "rolled_back", discount_amount: 100, customer_id: null }]);
    // Nothing is left waiting that would later rewrite D1.
    expect(await emptiedOutbox(stub)).toBe(0);
  });
});
