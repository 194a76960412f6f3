// API.md §7 erasure meets §10 reservations: a customer who only reserved (and never redeemed) has no redemption in
// D1, yet their id sits in the voucher's and the campaign's objects. The objects report such reservations through the
// ledger stream (customer_reservations), so DELETE /v1/customers/{id} reaches them; a report that lands after the
// erasure is handled on arrival. Afterwards the id is in no object's storage and no D1 row.
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { LedgerMessage } from "../../src/domain/ledger";
import type { VoucherObject } from "../../src/objects/voucher";
import { call, newTeam } from "../helpers/api";
import { expectApiError } from "../helpers/security";
import { createCampaign } from "../helpers/campaigns";
import { deliver, LEDGER, realQueue, type Sent, standInQueue, withEnv } from "../helpers/ledger";
import { pollUntil } from "../helpers/poll";
import { createVoucher, d1TablesContaining, objectStorageText, order, uniqueCode, voucherObject } from "../helpers/vouchers";

afterEach(() => vi.restoreAllMocks());

const reserveOk = async (token: string, code: string, body: Record<string, unknown>) => {
  const res = await call("POST", `/v1/vouchers/${code}/reserve`, { token, body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
};
const getReservation = (token: string, code: string, id: string) => call("GET", `/v1/vouchers/${code}/reservations/${id}`, { token });
const campaignObject = (id: string) => env.CAMPAIGNS.get(env.CAMPAIGNS.idFromName(id));

async function newCustomer(token: string, prefix: string) {
  const id = `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
  expect((await call("POST", "/v1/customers", { token, body: { id, metadata: { email: "someone@example.com" } } })).status).toBe(201);
  return id;
}

/** D1's record of which vouchers hold the customer's reservations. */
const holdersInD1 = async (teamId: string, customerId: string) =>
  (
    await env.DB.prepare("SELECT code, campaign_id, reserved_at FROM customer_reservations WHERE team_id = ? AND customer_id = ? ORDER BY code")
      .bind(teamId, customerId)
      .all<{ code: string; campaign_id: string | null; reserved_at: number }>()
  ).results;

const teamRows = async (teamId: string) =>
  (await env.DB.prepare("SELECT customer_id, code FROM customer_reservations WHERE team_id = ? ORDER BY customer_id, code").bind(teamId).all()).results;

const pseudonymOf = async (teamId: string) =>
  (await env.DB.prepare("SELECT pseudonym FROM customer_erasures WHERE team_id = ?").bind(teamId).first<{ pseudonym: string }>())?.pseudonym;

/** The voucher object's reservations table: (id, customer_id, customer id inside the record). */
const reservationRows = (teamId: string, code: string) =>
  runInDurableObject(voucherObject(teamId, code), (_i: VoucherObject, state) =>
    state.storage.sql
      .exec<{ id: string; customer_id: string | null; record: string }>("SELECT id, customer_id, record FROM reservations ORDER BY id")
      .toArray()
      .map((r) => ({ id: r.id, customer_id: r.customer_id, record_customer: (JSON.parse(r.record) as { customerId: string | null }).customerId })),
  );

/** The outbox rows that name the id (waiting entries of any kind). */
const outboxNaming = (teamId: string, code: string, id: string) =>
  runInDurableObject(voucherObject(teamId, code), (_i: VoucherObject, state) =>
    state.storage.sql.exec<{ entry: string }>("SELECT entry FROM outbox WHERE instr(entry, ?) > 0", id).toArray().map((r) => r.entry),
  );

const campaignRows = (campaignId: string) =>
  runInDurableObject(campaignObject(campaignId), (_i, state) => ({
    reservations: state.storage.sql.exec("SELECT key, customer_id, held FROM reservations ORDER BY key").toArray(),
    customers: state.storage.sql.exec("SELECT customer_id, redemptions FROM customers ORDER BY customer_id").toArray(),
  }));

/** The messages a stand-in queue caught that report a customer's reservations. */
const reservationReports = (sent: Sent) => sent.messages.filter((m) => m.entries.some((e) => e.kind === "customer_reservation"));

describe("DELETE /v1/customers/{id}: a customer who only reserved", () => {
  it("one reservation released, one still held on a campaign voucher, none redeemed: erased from both vouchers, the campaign and D1", async () => {
    const { owner, admin } = await newTeam();
    const teamId = owner.teamId;
    const id = await newCustomer(admin.key, "reserver");
    const campaign = await createCampaign(admin.key, { per_customer_limit: 2 });
    const plain = await createVoucher(admin.key);
    const inCampaign = await createVoucher(admin.key, { campaign_id: campaign.id });

    const released = await reserveOk(admin.key, plain.code, { customer_id: id, order: order() });
    expect((await call("DELETE", `/v1/vouchers/${plain.code}/reservations/${released.id}`, { token: admin.key })).status).toBe(204);
    const held = await reserveOk(admin.key, inCampaign.code, { customer_id: id, order: order() });

    // D1 learns which vouchers hold the customer's reservations (there is no redemption to find them by).
    const holders = await pollUntil(() => holdersInD1(teamId, id), (rows) => rows.length === 2, {
      between: () => Promise.all([plain.code, inCampaign.code].map((code) => runDurableObjectAlarm(voucherObject(teamId, code)))),
    });
    expect(holders.map(({ code, campaign_id }) => ({ code, campaign_id }))).toEqual(
      [
        { code: plain.code, campaign_id: null },
        { code: inCampaign.code, campaign_id: campaign.id },
      ].sort((a, b) => a.code.localeCompare(b.code)),
    );
    const redemptions = await env.DB.prepare("SELECT count(*) AS n FROM redemptions WHERE team_id = ?").bind(teamId).first<{ n: number }>();
    expect(redemptions?.n).toBe(0);
    expect(JSON.stringify(await campaignRows(campaign.id))).toContain(id);

    const erased = await call("DELETE", `/v1/customers/${id}`, { token: admin.key });
    expect(erased.status, JSON.stringify(erased.body)).toBe(204);
    const pseudonym = await pseudonymOf(teamId);
    expect(pseudonym).toMatch(/^erased_/);

    // The reservations read under the pseudonym, and keep their state.
    const releasedNow = await getReservation(admin.key, plain.code, released.id);
    expect(releasedNow.body).toMatchObject({ id: released.id, status: "released", customer_id: pseudonym });
    const heldNow = await getReservation(admin.key, inCampaign.code, held.id);
    expect(heldNow.body).toMatchObject({ id: held.id, status: "held", customer_id: pseudonym });

    // In the objects: the reservations tables, the outboxes, and everything else they store.
    for (const code of [plain.code, inCampaign.code]) {
      expect(await reservationRows(teamId, code)).toEqual([expect.objectContaining({ customer_id: pseudonym, record_customer: pseudonym })]);
      expect(await outboxNaming(teamId, code, id)).toEqual([]);
      expect(await objectStorageText(voucherObject(teamId, code))).not.toContain(id);
    }
    const inCampaignObject = await campaignRows(campaign.id);
    expect(inCampaignObject.reservations).toEqual([expect.objectContaining({ customer_id: pseudonym, held: 1 })]);
    expect(await objectStorageText(campaignObject(campaign.id))).not.toContain(id);

    // In D1: no row of any table, and nothing left of the customer's reservation records.
    expect(await holdersInD1(teamId, id)).toEqual([]);
    expect(await teamRows(teamId)).toEqual([]);
    expect(await d1TablesContaining(id)).toEqual([]);
    expect((await call("GET", `/v1/customers/${id}`, { token: admin.key })).status).toBe(404);
  });

  it("never registered, only reserved: the id is erased all the same (204), and is unknown afterwards", async () => {
    const { owner, admin } = await newTeam();
    const teamId = owner.teamId;
    // No POST /v1/customers, no redemption: a reservation registers no one (§7).
    const id = `walk-in-${crypto.randomUUID().slice(0, 8)}`;
    const voucher = await createVoucher(admin.key);
    const reservation = await reserveOk(admin.key, voucher.code, { customer_id: id, order: order() });
    expect((await call("GET", `/v1/customers/${id}`, { token: admin.key })).status).toBe(404);
    await pollUntil(() => holdersInD1(teamId, id), (rows) => rows.length === 1, {
      between: () => runDurableObjectAlarm(voucherObject(teamId, voucher.code)),
    });

    const erased = await call("DELETE", `/v1/customers/${id}`, { token: admin.key });
    expect(erased.status, JSON.stringify(erased.body)).toBe(204);
    const pseudonym = await pseudonymOf(teamId);
    expect((await getReservation(admin.key, voucher.code, reservation.id)).body).toMatchObject({ status: "held", customer_id: pseudonym });
    expect(await objectStorageText(voucherObject(teamId, voucher.code))).not.toContain(id);
    expect(await d1TablesContaining(id)).toEqual([]);
    expectApiError(await call("DELETE", `/v1/customers/${id}`, { token: admin.key }), 404, "not_found");
  });

  it("an id the team never used, nor another team's reserving customer, is still not found", async () => {
    const a = await newTeam();
    const b = await newTeam();
    const id = `walk-in-${crypto.randomUUID().slice(0, 8)}`;
    const voucher = await createVoucher(b.admin.key);
    await reserveOk(b.admin.key, voucher.code, { customer_id: id, order: order() });
    await pollUntil(() => holdersInD1(b.owner.teamId, id), (rows) => rows.length === 1, {
      between: () => runDurableObjectAlarm(voucherObject(b.owner.teamId, voucher.code)),
    });
    expectApiError(await call("DELETE", `/v1/customers/${id}`, { token: a.admin.key }), 404, "not_found");
    expectApiError(await call("DELETE", `/v1/customers/never-${id}`, { token: b.admin.key }), 404, "not_found");
    expect(await holdersInD1(b.owner.teamId, id)).toHaveLength(1);
  });

  it("a reservation whose report reaches D1 only after the erasure: its objects are erased on arrival, nothing is recorded, a replay changes nothing", async () => {
    const { owner, admin } = await newTeam();
    const teamId = owner.teamId;
    const id = await newCustomer(admin.key, "late-reserver");
    const campaign = await createCampaign(admin.key);
    const voucher = await createVoucher(admin.key, { campaign_id: campaign.id });
    const stub = voucherObject(teamId, voucher.code);
    // The voucher's sends are held back: the report has left the object but not reached D1.
    const sent: Sent = { messages: [], refused: 0, sends: 0 };
    await standInQueue(stub, sent);
    const reservation = await reserveOk(admin.key, voucher.code, { customer_id: id, order: order() });
    const reports: LedgerMessage[] = await pollUntil(async () => reservationReports(sent), (m) => m.length > 0);
    expect(reports.length).toBeGreaterThan(0);
    expect(await holdersInD1(teamId, id)).toEqual([]);

    // The erasure cannot know this voucher yet: the reservation keeps the id until the report lands.
    expect((await call("DELETE", `/v1/customers/${id}`, { token: admin.key })).status).toBe(204);
    const pseudonym = await pseudonymOf(teamId);
    expect((await reservationRows(teamId, voucher.code))[0]?.customer_id).toBe(id);

    const { result } = await deliver(LEDGER, sent.messages);
    expect(result.retryMessages).toEqual([]);
    const rows = await pollUntil(() => reservationRows(teamId, voucher.code), (r) => r[0]?.customer_id !== id);
    expect(rows).toEqual([expect.objectContaining({ id: reservation.id, customer_id: pseudonym, record_customer: pseudonym })]);
    expect((await getReservation(admin.key, voucher.code, reservation.id)).body).toMatchObject({ status: "held", customer_id: pseudonym });
    expect(await objectStorageText(stub)).not.toContain(id);
    expect(await objectStorageText(campaignObject(campaign.id))).not.toContain(id);
    expect((await campaignRows(campaign.id)).reservations).toEqual([expect.objectContaining({ customer_id: pseudonym })]);
    // Recorded neither under the id nor under the pseudonym.
    expect(await teamRows(teamId)).toEqual([]);
    expect(await d1TablesContaining(id)).toEqual([]);

    // The same delivery again (a redelivery, a replay from the dead-letter table): nothing changes.
    const before = { voucher: await reservationRows(teamId, voucher.code), campaign: await campaignRows(campaign.id), d1: await teamRows(teamId) };
    const again = await deliver(LEDGER, sent.messages);
    expect(again.result.retryMessages).toEqual([]);
    expect({ voucher: await reservationRows(teamId, voucher.code), campaign: await campaignRows(campaign.id), d1: await teamRows(teamId) }).toEqual(before);
    expect(await d1TablesContaining(id)).toEqual([]);
  });

  it("a late report whose voucher object cannot be reached is retried, not acknowledged; the retry erases it", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const { owner, admin } = await newTeam();
    const teamId = owner.teamId;
    const id = await newCustomer(admin.key, "unreachable");
    const voucher = await createVoucher(admin.key);
    const sent: Sent = { messages: [], refused: 0, sends: 0 };
    await standInQueue(voucherObject(teamId, voucher.code), sent);
    await reserveOk(admin.key, voucher.code, { customer_id: id, order: order() });
    const reports = await pollUntil(async () => reservationReports(sent), (m) => m.length > 0);
    expect((await call("DELETE", `/v1/customers/${id}`, { token: admin.key })).status).toBe(204);

    // Voucher objects that cannot be reached.
    const unreachable = new Proxy(env.VOUCHERS, {
      get(target, prop) {
        if (prop === "get") return () => ({ eraseCustomer: () => Promise.reject(new Error("Durable Object unreachable (simulated)")) });
        const value: unknown = Reflect.get(target, prop);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const failed = await deliver(LEDGER, reports, { env: withEnv({ VOUCHERS: unreachable }) });
    expect(failed.result.retryMessages.length).toBe(reports.length);
    expect((await reservationRows(teamId, voucher.code))[0]?.customer_id).toBe(id);
    expect(await teamRows(teamId)).toEqual([]);

    const retried = await deliver(LEDGER, reports, { attempts: 2 });
    expect(retried.result.retryMessages).toEqual([]);
    expect((await reservationRows(teamId, voucher.code))[0]?.customer_id).toBe(await pseudonymOf(teamId));
    expect(await d1TablesContaining(id)).toEqual([]);
  });

  it("another team's customer with the same id keeps its reservations, in its object and in D1, whether its report lands before or after", async () => {
    const a = await newTeam();
    const b = await newTeam();
    const id = await newCustomer(a.admin.key, "shared");
    expect((await call("POST", "/v1/customers", { token: b.admin.key, body: { id } })).status).toBe(201);
    const code = uniqueCode("SAME");
    await createVoucher(a.admin.key, { code });
    await createVoucher(b.admin.key, { code });
    const bStub = voucherObject(b.owner.teamId, code);
    const sent: Sent = { messages: [], refused: 0, sends: 0 };
    await standInQueue(bStub, sent);

    // Team B: one report lands before team A's erasure, one after it.
    const bFirst = await reserveOk(b.admin.key, code, { customer_id: id, order: order() });
    const early = await pollUntil(async () => reservationReports(sent), (m) => m.length > 0);
    expect((await deliver(LEDGER, early)).result.retryMessages).toEqual([]);
    const aReservation = await reserveOk(a.admin.key, code, { customer_id: id, order: order() });
    await pollUntil(() => holdersInD1(a.owner.teamId, id), (rows) => rows.length === 1, { between: () => runDurableObjectAlarm(voucherObject(a.owner.teamId, code)) });
    const bSecond = await reserveOk(b.admin.key, code, { customer_id: id, order: order() });
    const late = (await pollUntil(async () => reservationReports(sent), (m) => m.length > early.length)).slice(early.length);
    expect(late.length).toBeGreaterThan(0);

    expect((await call("DELETE", `/v1/customers/${id}`, { token: a.admin.key })).status).toBe(204);
    expect((await deliver(LEDGER, late)).result.retryMessages).toEqual([]);

    // Team A's customer is erased.
    expect((await getReservation(a.admin.key, code, aReservation.id)).body.customer_id).toMatch(/^erased_/);
    expect(await holdersInD1(a.owner.teamId, id)).toEqual([]);
    // Team B's is untouched: both reservations, its record in D1, its profile.
    await realQueue(bStub);
    expect((await reservationRows(b.owner.teamId, code)).map((r) => [r.id, r.customer_id, r.record_customer])).toEqual(
      [bFirst.id, bSecond.id].sort().map((rid) => [rid, id, id]),
    );
    expect((await getReservation(b.admin.key, code, bSecond.id)).body.customer_id).toBe(id);
    expect((await holdersInD1(b.owner.teamId, id)).map((r) => r.code)).toEqual([code]);
    expect((await call("GET", `/v1/customers/${id}`, { token: b.admin.key })).status).toBe(200);
  });
});

describe("VoucherObject.eraseCustomer and reservation reports", () => {
  it("renames only reservations made before the erasure, drops the waiting report it covers, and reports anew the ones made since", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const { owner, admin } = await newTeam();
    const teamId = owner.teamId;
    const voucher = await createVoucher(admin.key);
    const stub = voucherObject(teamId, voucher.code);
    const id = `cus-${crypto.randomUUID().slice(0, 8)}`;
    // Sends are refused: the reports wait in the outbox.
    const sent: Sent = { messages: [], refused: 0, sends: 0 };
    await standInQueue(stub, sent, [], "refuse");
    const reports = () =>
      runInDurableObject(stub, (_i: VoucherObject, state) =>
        state.storage.sql
          .exec<{ entry: string }>("SELECT entry FROM outbox ORDER BY seq")
          .toArray()
          .map((r) => JSON.parse(r.entry) as { kind: string; customer_id?: string; reserved_at?: number })
          .filter((e) => e.kind === "customer_reservation"),
      );

    // When each reservation was made, to the millisecond (the API renders seconds).
    const madeAt = (rid: string) =>
      runInDurableObject(stub, (_i: VoucherObject, state) => JSON.parse(state.storage.sql.exec<{ record: string }>("SELECT record FROM reservations WHERE id = ?", rid).one().record).createdAt as number);

    const first = await reserveOk(admin.key, voucher.code, { customer_id: id, order: order() });
    const cut = (await madeAt(first.id)) + 1;
    await pollUntil(async () => Date.now(), (now) => now > cut, { intervalMs: 1 });
    const second = await reserveOk(admin.key, voucher.code, { customer_id: id, order: order() });
    const secondAt = await madeAt(second.id);
    expect(secondAt).toBeGreaterThanOrEqual(cut);
    // One report waits for both: the earlier one's, which says the object holds the id since then.
    expect(await reports()).toEqual([expect.objectContaining({ customer_id: id, reserved_at: cut - 1 })]);

    await stub.eraseCustomer(id, "erased_objecttest", cut);
    const rows = await reservationRows(teamId, voucher.code);
    expect(rows.find((r) => r.id === first.id)).toMatchObject({ customer_id: "erased_objecttest", record_customer: "erased_objecttest" });
    expect(rows.find((r) => r.id === second.id)).toMatchObject({ customer_id: id, record_customer: id });
    // The covered report is gone; the reservation made since is reported anew, from its own time.
    expect(await reports()).toEqual([expect.objectContaining({ customer_id: id, reserved_at: secondAt })]);

    // Once sends go through, D1 records the object for the id again, from the later reservation.
    await realQueue(stub);
    const holders = await pollUntil(() => holdersInD1(teamId, id), (r) => r.length === 1, { between: () => runDurableObjectAlarm(stub) });
    expect(holders).toEqual([{ code: voucher.code, campaign_id: null, reserved_at: secondAt }]);
  });
});
