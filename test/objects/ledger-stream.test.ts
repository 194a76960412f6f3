// The ledger stream end to end: voucher objects → outbox → ledger queue → consumer → D1. Every acknowledged
// redemption lands exactly once whatever fails on the way (a send refused, a send accepted whose answer is lost,
// D1 failing, deliveries repeated and reordered); D1's transactions follow deliveries, not vouchers; validation
// counts ride the same stream.
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { LedgerMessage } from "../../src/domain/ledger";
import { Outbox } from "../../src/objects/voucher-outbox";
import { VoucherStorage } from "../../src/objects/voucher-storage";
import { HOUR_MS } from "../../src/objects/voucher-validations";
import type { VoucherObject } from "../../src/objects/voucher";
import { createKey, newTeam } from "../helpers/api";
import { countingD1, deliver, emptiedOutbox, LEDGER, outboxSize, type Sent, standInQueue, unavailableD1, withEnv } from "../helpers/ledger";
import { clearOfHourBoundary, pollUntil } from "../helpers/poll";
import { createVoucher, order, redeem, rollback, validate, voucherObject } from "../helpers/vouchers";

afterEach(() => vi.restoreAllMocks());

async function team() {
  const { owner } = await newTeam();
  const token = (await createKey(owner.accessToken, { name: "checkout", rate_limit_per_minute: 10_000 })).key;
  return { teamId: owner.teamId, token };
}

/** Waits until every outbox is empty, running the alarms (sends that fail re-arm the alarm with backoff). */
async function drainOutboxes(teamId: string, codes: string[]) {
  const left = await Promise.all(codes.map((code) => emptiedOutbox(voucherObject(teamId, code))));
  expect(left.every((n) => n === 0), "outboxes emptied").toBe(true);
}

function shuffled<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * Runs the object's alarm until the last validation total it shipped reaches `validations`. Answers taken from the
 * voucher's preview are counted once their keys were accepted: handed to the object with its next preview, or a
 * second later (services/validation-tallies.ts).
 */
async function shippedCount(stub: DurableObjectStub<VoucherObject>, sent: Sent, validations: number) {
  const last = () => sent.messages.flatMap((m) => m.entries).filter((e) => e.kind === "validation_count").at(-1);
  return pollUntil(
    async () => {
      await runInDurableObject(stub, (instance) => instance.alarm());
      return last();
    },
    (entry) => entry?.kind === "validation_count" && entry.validations >= validations,
  );
}

describe("the ledger stream", () => {
  it("every acknowledged redemption lands exactly once: sends refused and lost, D1 failing, deliveries repeated and reordered", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    vi.spyOn(console, "log").mockImplementation(() => {});
    const { teamId, token } = await team();
    const codes: string[] = [];
    for (let i = 0; i < 5; i++) codes.push((await createVoucher(token, { discount: { type: "amount", amount_off: 100 }, currency: "EUR", redemption_limit: 15 })).code);
    // Each object's queue refuses its first two sends, then accepts one whose answer is lost (so it is sent
    // again), then accepts.
    const sent: Sent = { messages: [], refused: 0, sends: 0 };
    const perObject = codes.map(() => ({ messages: [], refused: 0, sends: 0 }) as Sent);
    for (const [i, code] of codes.entries()) await standInQueue(voucherObject(teamId, code), perObject[i]!, ["refuse", "refuse", "lose"]);

    // 100 attempts over 5 vouchers limited to 15 each: 75 succeed, the rest are refused by the limit.
    const attempts = Array.from({ length: 100 }, (_, i) => ({ code: codes[i % 5]!, customer: `cus-${i % 7}` }));
    const answers = await Promise.all(attempts.map((a) => redeem(token, a.code, { customer_id: a.customer, order: order(1000) })));
    const acknowledged = answers.filter((a) => a.status === 201).map((a) => a.body);
    expect(acknowledged).toHaveLength(75);
    // A third of them rolled back, some of those before their redemption has shipped.
    const undone = acknowledged.filter((_, i) => i % 3 === 0);
    for (const r of undone) expect((await rollback(token, r.code, { redemption_id: r.id })).status).toBe(200);

    await drainOutboxes(teamId, codes);
    for (const s of perObject) {
      expect(s.refused).toBeGreaterThanOrEqual(2);
      sent.messages.push(...s.messages);
    }
    // The lost send's entries were sent again: some entries arrive twice.
    const entries = sent.messages.flatMap((m) => m.entries);
    const redemptionEntries = entries.filter((e) => e.kind === "redemption");
    expect(redemptionEntries.length).toBeGreaterThan(new Set(redemptionEntries.map((e) => e.redemption.id)).size);

    // The first delivery finds D1 down and is retried whole; then everything arrives shuffled, in batches of at
    // most 100, twice over, two batches at a time.
    const down = await deliver(LEDGER, sent.messages.slice(0, 100), { env: withEnv({ DB: unavailableD1() }) });
    expect(down.result.explicitAcks).toEqual([]);
    const copies = shuffled([...sent.messages, ...sent.messages]);
    const batches: LedgerMessage[][] = [];
    for (let i = 0; i < copies.length; i += 37) batches.push(copies.slice(i, i + 37));
    for (let i = 0; i < batches.length; i += 2) {
      const results = await Promise.all(batches.slice(i, i + 2).map((b) => deliver(LEDGER, b, { attempts: 2 })));
      for (const r of results) expect(r.result.retryMessages).toEqual([]);
    }

    const { results } = await env.DB.prepare("SELECT id, status, code FROM redemptions WHERE team_id = ? ORDER BY id").bind(teamId).all<{ id: string; status: string; code: string }>();
    const undoneIds = new Set(undone.map((r) => r.id));
    expect(results).toEqual(
      acknowledged
        .map((r) => ({ id: r.id as string, status: undoneIds.has(r.id) ? "rolled_back" : "redeemed", code: r.code as string }))
        .sort((a, b) => (a.id < b.id ? -1 : 1)),
    );
    // Each voucher's listing copy shows its live count, at the object's latest change number.
    for (const code of codes) {
      const live = acknowledged.filter((r) => r.code === code && !undoneIds.has(r.id)).length;
      const version = await runInDurableObject(voucherObject(teamId, code), (_i, state) => state.storage.sql.exec<{ v: number }>("SELECT mirror_version AS v FROM counters").one().v);
      const row = await env.DB.prepare("SELECT redemptions_count, mirror_version FROM vouchers WHERE team_id = ? AND code = ?").bind(teamId, code).first();
      expect(row).toEqual({ redemptions_count: live, mirror_version: version });
    }
    const customers = await env.DB.prepare("SELECT count(*) AS n FROM customers WHERE team_id = ?").bind(teamId).first();
    expect(customers).toEqual({ n: 7 });
  });

  it("one delivery from 100 vouchers is one D1 transaction: D1's writes follow deliveries, not active vouchers", async () => {
    vi.spyOn(console, "log").mockImplementation(() => {});
    const { teamId, token } = await team();
    const codes: string[] = [];
    for (let i = 0; i < 100; i++) codes.push((await createVoucher(token, { discount: { type: "amount", amount_off: 100 }, currency: "EUR" })).code);
    const sent: Sent = { messages: [], refused: 0, sends: 0 };
    for (const code of codes) await standInQueue(voucherObject(teamId, code), sent);
    const answers = await Promise.all(codes.map((code, i) => redeem(token, code, { customer_id: `cus-${i}`, order: order(1000) })));
    expect(answers.every((a) => a.status === 201)).toBe(true);
    await drainOutboxes(teamId, codes);
    // One message per object: each carries its redemption and its new state.
    expect(sent.messages).toHaveLength(100);

    const counts = { transactions: 0, statements: 0 };
    const { result } = await deliver(LEDGER, sent.messages, { env: withEnv({ DB: countingD1(counts) }) });
    expect(result.explicitAcks).toHaveLength(100);
    // Redemptions (with their rollups, checkout events and velocity check before and after), customers, vouchers.
    expect(counts).toEqual({ transactions: 1, statements: 7 });
    const written = await env.DB.prepare("SELECT count(*) AS n FROM redemptions WHERE team_id = ?").bind(teamId).first();
    expect(written).toEqual({ n: 100 });
    const listed = await env.DB.prepare("SELECT count(*) AS n FROM vouchers WHERE team_id = ? AND redemptions_count = 1").bind(teamId).first();
    expect(listed).toEqual({ n: 100 });
  });

  it("a quiet voucher's redemption is one commit: its sent entry is deleted by the next change's commit or by the safety alarm, not by a commit of its own", async () => {
    const { teamId, token } = await team();
    const voucher = await createVoucher(token, { discount: { type: "amount", amount_off: 100 }, currency: "EUR" });
    const stub = voucherObject(teamId, voucher.code);
    const sent: Sent = { messages: [], refused: 0, sends: 0 };
    await standInQueue(stub, sent);
    type Shipping = { shipper: { tick(): Promise<void> } };
    const tick = () => runInDurableObject(stub, (instance) => (instance as unknown as Shipping).shipper.tick());
    const carried = (id: string) => sent.messages.some((m) => m.entries.some((e) => e.kind === "redemption" && e.redemption.id === id));
    const waiting = () =>
      runInDurableObject(stub, (_i, state) => state.storage.sql.exec<{ entry: string }>("SELECT entry FROM outbox ORDER BY seq").toArray().map((r) => (JSON.parse(r.entry) as { redemption: { id: string } }).redemption.id));

    const first = await redeem(token, voucher.code, { order: order() });
    expect(first.status).toBe(201);
    for (let i = 0; i < 100 && !carried(first.body.id); i++) await tick();
    expect(carried(first.body.id)).toBe(true);
    // Sent and accepted; the ticks that find nothing more to send write nothing: the deletion waits, the alarm stays.
    await tick();
    await tick();
    expect(await waiting()).toEqual([first.body.id]);
    expect(await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())).not.toBeNull();

    // The next redemption's own commit deletes it.
    const second = await redeem(token, voucher.code, { order: order() });
    expect(second.status).toBe(201);
    expect(await waiting()).toEqual([second.body.id]);
    for (let i = 0; i < 100 && !carried(second.body.id); i++) await tick();

    // With no change coming, the safety alarm's wake writes the deletion, and is not set again.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await waiting()).toEqual([]);
    expect(await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())).toBeNull();
    expect(sent.refused).toBe(0);
  });

  it("validations are counted in the object, shipped as hourly totals, and summed into voucher_validations; repeats add nothing", async () => {
    vi.spyOn(console, "log").mockImplementation(() => {});
    // Every validation below falls in one hour, even on a slow machine.
    await clearOfHourBoundary();
    const { teamId, token } = await team();
    const voucher = await createVoucher(token, { discount: { type: "percent", percent_off: 10 }, rules: { min_order_amount: 2000 } });
    const stub = voucherObject(teamId, voucher.code);
    const sent: Sent = { messages: [], refused: 0, sends: 0 };
    await standInQueue(stub, sent);
    const answers = await Promise.all([...Array.from({ length: 5 }, () => order(5000)), order(1000), order(1500)].map((o) => validate(token, voucher.code, { order: o })));
    expect(answers.map((a) => a.body.valid).filter(Boolean)).toHaveLength(5);
    // A validate writes nothing and sets no alarm: the counts wait in memory for the next ship, a second later.
    expect(await outboxSize(stub)).toBe(0);
    expect(await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())).toBeNull();
    const hour = Date.now() - (Date.now() % HOUR_MS);
    expect(await shippedCount(stub, sent, 7)).toEqual({ kind: "validation_count", voucher_id: voucher.id, hour, validations: 7, valid: 5 });

    await deliver(LEDGER, sent.messages);
    await deliver(LEDGER, sent.messages);
    // Three more: the next total (10) replaces the last; an older total arriving late changes nothing.
    await Promise.all([1, 2, 3].map(() => validate(token, voucher.code, { order: order(5000) })));
    expect(await shippedCount(stub, sent, 10)).toMatchObject({ validations: 10, valid: 8 });
    await deliver(LEDGER, sent.messages.slice(-1));
    await deliver(LEDGER, sent.messages.slice(0, 1));
    const row = await env.DB.prepare("SELECT validations, valid FROM voucher_validations WHERE team_id = ? AND voucher_id = ? AND hour = ?").bind(teamId, voucher.id, hour).first();
    expect(row).toEqual({ validations: 10, valid: 8 });
  });

  it("an object from before the outbox moves the redemptions it still owed D1 into the outbox, once, and drops its old flags", async () => {
    vi.spyOn(console, "log").mockImplementation(() => {});
    const { teamId, token } = await team();
    const voucher = await createVoucher(token, { discount: { type: "amount", amount_off: 100 }, currency: "EUR" });
    const stub = voucherObject(teamId, voucher.code);
    const sent: Sent = { messages: [], refused: 0, sends: 0 };
    await standInQueue(stub, sent);
    const first = await redeem(token, voucher.code, { order: order(1000) });
    const second = await redeem(token, voucher.code, { order: order(1000) });
    await runDurableObjectAlarm(stub);
    // As the object's tables looked before: the first redemption already in D1, the second and the counters not.
    const adopted = await runInDurableObject(stub, (_instance, state) => {
      const sql = state.storage.sql;
      sql.exec("DELETE FROM outbox");
      sql.exec("ALTER TABLE redemptions ADD COLUMN synced INTEGER NOT NULL DEFAULT 0");
      sql.exec("CREATE INDEX redemptions_unsynced ON redemptions (synced) WHERE synced = 0");
      sql.exec("UPDATE redemptions SET synced = 1 WHERE id = ?", first.body.id);
      sql.exec("ALTER TABLE counters ADD COLUMN mirror_dirty INTEGER NOT NULL DEFAULT 1");
      const outbox = new Outbox(sql);
      const store = new VoucherStorage(sql);
      for (let i = 0; i < 2; i++) {
        state.storage.transactionSync(() => {
          store.migrate();
          outbox.migrate();
          store.adoptLegacyFlags(outbox);
        });
      }
      const columns = (table: string) => sql.exec<{ name: string }>("SELECT name FROM pragma_table_info(?)", table).toArray().map((c) => c.name);
      return {
        entries: sql.exec<{ entry: string }>("SELECT entry FROM outbox ORDER BY seq").toArray().map((r) => JSON.parse(r.entry) as { kind: string; redemption?: { id: string } }),
        redemptionColumns: columns("redemptions"),
        counterColumns: columns("counters"),
      };
    });
    expect(adopted.entries.map((e) => [e.kind, e.redemption?.id ?? null])).toEqual([["redemption", second.body.id]]);
    expect(adopted.redemptionColumns).not.toContain("synced");
    expect(adopted.counterColumns).not.toContain("mirror_dirty");
  });
});
