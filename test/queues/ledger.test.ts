// The ledger consumer writes a delivery in as few D1 transactions as the limits allow, idempotently; it retries
// a delivery D1 refuses, sends poison (and anything that is not a ledger message) to the dead-letter queue, and
// that queue's consumer writes what lands, retries while D1 is down, and parks the rest where it can be seen.
import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { LEDGER_FORMAT, type LedgerEntry, type LedgerMessage, MESSAGE_MAX_BYTES, packEntries, SEND_MAX_BYTES, SEND_MAX_MESSAGES } from "../../src/domain/ledger";
import type { RedemptionRecord } from "../../src/objects/voucher";
import { ledgerRetryDelay, POISON_AFTER_ATTEMPTS } from "../../src/queues/ledger";
import { LEDGER_DEAD_LETTER_RETRY_DELAY_S, PARK_AFTER_ATTEMPTS, REPOST_AFTER_ATTEMPTS } from "../../src/queues/ledger-dead-letters";
import { planLedgerWrites, STATEMENT_MAX_BYTES, STATEMENT_MAX_ROWS, TRANSACTION_MAX_ROWS } from "../../src/queues/ledger-writes";
import { newTeam } from "../helpers/api";
import { countingD1, deliver, LEDGER, LEDGER_DEAD_LETTERS, recordingQueue, unavailableD1, withEnv } from "../helpers/ledger";

let seq = 0;
const uid = (prefix: string) => `${prefix}_LEDGERTEST${Date.now().toString(36).toUpperCase()}${++seq}`;

function redemption(teamId: string, extra: Partial<RedemptionRecord> = {}): LedgerEntry {
  const r: RedemptionRecord = {
    id: uid("red"),
    voucherId: "vch_LEDGER",
    code: "LEDGER-1",
    campaignId: null,
    customerId: uid("cus"),
    order: { id: uid("ord"), amount: 5000, currency: "EUR" },
    discountAmount: 500,
    currency: "EUR",
    status: "redeemed",
    createdAt: Date.now(),
    rolledBackAt: null,
    rollbackReason: null,
    ...extra,
  };
  return { kind: "redemption", redemption: r };
}

const message = (teamId: string, entries: LedgerEntry[]): LedgerMessage => ({ format: LEDGER_FORMAT, team_id: teamId, source: `${teamId}:LEDGER-1`, oldest_at: Date.now(), entries });

const idsOf = (entries: LedgerEntry[]) => entries.flatMap((e) => (e.kind === "redemption" ? [e.redemption.id] : []));

async function rows(ids: string[]) {
  const { results } = await env.DB.prepare(`SELECT id, status FROM redemptions WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id`)
    .bind(JSON.stringify(ids))
    .all<{ id: string; status: string }>();
  return results;
}

function loggedLines(spy: { mock: { calls: unknown[][] } }) {
  return spy.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>);
}

afterEach(() => vi.restoreAllMocks());

describe("the ledger consumer", () => {
  it("writes 100 messages of 5 entries each in one D1 transaction, and logs what it wrote", async () => {
    const logs = vi.spyOn(console, "log").mockImplementation(() => {});
    const { owner } = await newTeam();
    const messages = Array.from({ length: 100 }, () => message(owner.teamId, Array.from({ length: 5 }, () => redemption(owner.teamId))));
    const counts = { transactions: 0, statements: 0 };
    const { ids, result } = await deliver(LEDGER, messages, { env: withEnv({ DB: countingD1(counts) }) });
    expect(result.explicitAcks.sort()).toEqual([...ids].sort());
    expect(counts.transactions).toBe(1);
    // 500 redemptions and 500 new customers: a few dozen statements at most (each redemption chunk brings its
    // rollups, checkout events and velocity check), each reading its rows from one JSON parameter.
    expect(counts.statements).toBeLessThanOrEqual(40);
    const all = messages.flatMap((m) => idsOf(m.entries));
    expect(await rows(all)).toHaveLength(500);
    expect(loggedLines(logs)).toContainEqual(expect.objectContaining({ event: "ledger_written", messages: 100, entries: 500, rows: 1000, transactions: 1 }));
  });

  it("keeps every statement under D1's limits and every transaction to a bounded number of rows", async () => {
    const teamId = "team_PLAN";
    // A delivery as large as a queue allows: 100 messages of about 100 KB.
    const big = (i: number) => redemption(teamId, { order: { id: `o-${i}`, amount: 5000, items: [{ sku: "x".repeat(60), quantity: 1, unit_price: 100 }] } });
    const messages = Array.from({ length: 100 }, () => message(teamId, Array.from({ length: 250 }, (_, i) => big(i))));
    const prepared: { sql: string; params: unknown[] }[] = [];
    const db = {
      prepare: (sql: string) => ({ bind: (...params: unknown[]) => (prepared.push({ sql, params }), { sql, params }) }),
    } as unknown as D1Database;
    const plan = planLedgerWrites(db, messages);
    expect(plan.entries).toBe(25_000);
    expect(plan.rows).toBe(50_000);
    for (const t of plan.transactions) expect(t.rows).toBeLessThanOrEqual(TRANSACTION_MAX_ROWS);
    // Each transaction is closed only when the next statement's rows would not fit.
    expect(plan.transactions.length).toBeLessThanOrEqual(Math.ceil(50_000 / (TRANSACTION_MAX_ROWS - STATEMENT_MAX_ROWS)));
    for (const p of prepared) {
      expect(p.params).toHaveLength(1);
      const json = String(p.params[0]);
      expect(new TextEncoder().encode(json).byteLength).toBeLessThanOrEqual(STATEMENT_MAX_BYTES);
      expect((JSON.parse(json) as unknown[]).length).toBeLessThanOrEqual(STATEMENT_MAX_ROWS);
      expect(p.sql.length).toBeLessThan(2_000);
    }
  });

  it("packs an object's entries into sends the queue accepts: ≤ 100 messages, ≤ 128 KB each, ≤ 256 KB a send", () => {
    const sizes = [...Array.from({ length: 3000 }, () => 400), 119_000, ...Array.from({ length: 10 }, () => 50)];
    let from = 0;
    while (from < sizes.length) {
      const counts = packEntries(sizes.slice(from));
      expect(counts.length).toBeGreaterThan(0);
      expect(counts.length).toBeLessThanOrEqual(SEND_MAX_MESSAGES);
      let at = from;
      let total = 0;
      for (const n of counts) {
        const bytes = sizes.slice(at, at + n).reduce((a, b) => a + b, 0);
        expect(bytes <= MESSAGE_MAX_BYTES || n === 1).toBe(true);
        expect(bytes).toBeLessThan(128_000 - 1_000);
        total += bytes;
        at += n;
      }
      expect(total <= SEND_MAX_BYTES || counts.length === 1).toBe(true);
      from = at;
    }
  });

  it("D1 down: the whole delivery is retried with backoff, nothing acknowledged, one error line", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const { owner } = await newTeam();
    const entries = [redemption(owner.teamId), redemption(owner.teamId)];
    const { ids, result, retried } = await deliver(LEDGER, [message(owner.teamId, entries)], { env: withEnv({ DB: unavailableD1() }), attempts: 4 });
    expect(result.explicitAcks).toEqual([]);
    expect(retried).toEqual([{ id: ids[0], delaySeconds: ledgerRetryDelay(4) }]);
    expect(await rows(idsOf(entries))).toEqual([]);
    expect(loggedLines(errors)).toContainEqual(expect.objectContaining({ event: "ledger_write_failed", d1: "down", messages: 1, attempts: 4 }));
  });

  it("a message D1 refuses does not hold back the others; after a few tries it goes to the dead-letter queue", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    vi.spyOn(console, "log").mockImplementation(() => {});
    const { owner } = await newTeam();
    // A customer of a team that does not exist: the customers table's foreign key refuses it, however often it is tried.
    const poison = message("team_DOES_NOT_EXIST", [redemption("team_DOES_NOT_EXIST")]);
    const good = [message(owner.teamId, [redemption(owner.teamId)]), message(owner.teamId, [redemption(owner.teamId)])];
    const dlq = recordingQueue<unknown>();
    const early = await deliver(LEDGER, [good[0], poison, good[1]], { env: withEnv({ LEDGER_DLQ: dlq.queue }), attempts: 1 });
    expect(early.result.explicitAcks.sort()).toEqual([early.ids[0], early.ids[2]].sort());
    expect(early.retried).toEqual([{ id: early.ids[1], delaySeconds: ledgerRetryDelay(1) }]);
    expect(await rows(good.flatMap((m) => idsOf(m.entries)))).toHaveLength(2);
    expect(dlq.posted).toEqual([]);

    const late = await deliver(LEDGER, [poison, ...good], { env: withEnv({ LEDGER_DLQ: dlq.queue }), attempts: POISON_AFTER_ATTEMPTS });
    expect(late.result.explicitAcks.sort()).toEqual([...late.ids].sort());
    expect(dlq.posted.map((p) => p.body)).toEqual([poison]);
  });

  it("a body that is not a ledger message goes straight to the dead-letter queue; if that refuses it, it is retried", async () => {
    vi.spyOn(console, "log").mockImplementation(() => {});
    const dlq = recordingQueue<unknown>();
    const odd = [{ kind: "something else" }, { format: LEDGER_FORMAT, team_id: "t", source: "s", oldest_at: 1, entries: [{ kind: "unknown_kind" }] }];
    const sent = await deliver(LEDGER, odd, { env: withEnv({ LEDGER_DLQ: dlq.queue }) });
    expect(sent.result.explicitAcks.sort()).toEqual([...sent.ids].sort());
    expect(dlq.posted.map((p) => p.body)).toEqual(odd);
    const refused = await deliver(LEDGER, odd, { env: withEnv({ LEDGER_DLQ: recordingQueue<unknown>(true).queue }) });
    expect(refused.result.explicitAcks).toEqual([]);
    expect(refused.result.retryMessages.map((m) => m.msgId).sort()).toEqual([...refused.ids].sort());
  });
});

describe("the ledger dead-letter consumer", () => {
  const parked = async (ids: string[]) => {
    const { results } = await env.DB.prepare("SELECT message_id, source, error, attempts FROM ledger_dead_letters WHERE message_id IN (SELECT value FROM json_each(?)) ORDER BY message_id")
      .bind(JSON.stringify(ids))
      .all<{ message_id: string; source: string | null; error: string; attempts: number }>();
    return results;
  };

  it("writes what lands, acknowledges it, and logs the drain", async () => {
    const warnings = vi.spyOn(console, "warn").mockImplementation(() => {});
    const { owner } = await newTeam();
    const messages = [message(owner.teamId, [redemption(owner.teamId)]), message(owner.teamId, [redemption(owner.teamId, { status: "rolled_back", rolledBackAt: Date.now() })])];
    const { ids, result } = await deliver(LEDGER_DEAD_LETTERS, messages);
    expect(result.explicitAcks.sort()).toEqual([...ids].sort());
    expect((await rows(messages.flatMap((m) => idsOf(m.entries)))).map((r) => r.status).sort()).toEqual(["redeemed", "rolled_back"]);
    expect(loggedLines(warnings)).toContainEqual(expect.objectContaining({ event: "ledger_dead_letters", received: 2, written: 2, parked: 0, retrying: 0 }));
  });

  it("D1 down: every message is retried in 5 minutes; none is parked, none dropped", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const { owner } = await newTeam();
    const messages = [message(owner.teamId, [redemption(owner.teamId)])];
    const { ids, result, retried } = await deliver(LEDGER_DEAD_LETTERS, messages, { env: withEnv({ DB: unavailableD1() }), attempts: PARK_AFTER_ATTEMPTS + 5 });
    expect(result.explicitAcks).toEqual([]);
    expect(retried).toEqual([{ id: ids[0], delaySeconds: LEDGER_DEAD_LETTER_RETRY_DELAY_S }]);
    expect(loggedLines(errors)).toContainEqual(expect.objectContaining({ event: "ledger_dead_letters", written: 0, parked: 0, retrying: 1 }));
  });

  it("poison is retried a few times, then parked in ledger_dead_letters with its error, where it can be seen", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const { owner } = await newTeam();
    const poison = message("team_DOES_NOT_EXIST", [redemption("team_DOES_NOT_EXIST")]);
    const good = message(owner.teamId, [redemption(owner.teamId)]);
    const early = await deliver(LEDGER_DEAD_LETTERS, [poison, good], { attempts: 1 });
    expect(early.result.explicitAcks).toEqual([early.ids[1]]);
    expect(early.retried).toEqual([{ id: early.ids[0], delaySeconds: LEDGER_DEAD_LETTER_RETRY_DELAY_S }]);
    expect(await parked(early.ids)).toEqual([]);

    const late = await deliver(LEDGER_DEAD_LETTERS, [poison, { not: "a ledger message" }], { attempts: PARK_AFTER_ATTEMPTS });
    expect(late.result.explicitAcks.sort()).toEqual([...late.ids].sort());
    const seen = await parked(late.ids);
    expect(seen).toHaveLength(2);
    expect(seen.find((p) => p.message_id === late.ids[0])).toMatchObject({ source: poison.source, attempts: PARK_AFTER_ATTEMPTS, error: expect.stringMatching(/FOREIGN KEY/i) });
    expect(seen.find((p) => p.message_id === late.ids[1])).toMatchObject({ source: null, error: expect.stringMatching(/^not a ledger message/) });
    expect(loggedLines(errors)).toContainEqual(expect.objectContaining({ event: "ledger_dead_letters", received: 2, written: 0, parked: 2 }));
  });

  it(`still waiting on D1 after ${REPOST_AFTER_ATTEMPTS} deliveries, a message is posted to the queue again rather than run out of retries`, async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const { owner } = await newTeam();
    const messages = [message(owner.teamId, [redemption(owner.teamId)])];
    const dlq = recordingQueue<unknown>();
    const { result } = await deliver(LEDGER_DEAD_LETTERS, messages, { env: withEnv({ DB: unavailableD1(), LEDGER_DLQ: dlq.queue }), attempts: REPOST_AFTER_ATTEMPTS });
    expect(dlq.posted).toEqual([{ body: messages[0], delaySeconds: LEDGER_DEAD_LETTER_RETRY_DELAY_S }]);
    expect(result.retryMessages).toEqual([]);
    const refused = await deliver(LEDGER_DEAD_LETTERS, messages, { env: withEnv({ DB: unavailableD1(), LEDGER_DLQ: recordingQueue<unknown>(true).queue }), attempts: REPOST_AFTER_ATTEMPTS });
    expect(refused.result.explicitAcks).toEqual([]);
    expect(refused.result.retryMessages).toHaveLength(1);
  });
});

describe("analytics written with the stream", () => {
  const rollups = async (teamId: string) =>
    (await env.DB.prepare("SELECT coalesce(sum(redemptions), 0) AS made, coalesce(sum(rolled_back), 0) AS undone, coalesce(sum(discount_total), 0) AS discount FROM redemption_rollups WHERE team_id = ?")
      .bind(teamId)
      .first<{ made: number; undone: number; discount: number }>())!;
  const velocity = (teamId: string) =>
    env.DB.prepare("SELECT subject, count FROM fraud_alerts WHERE team_id = ? AND type = 'customer_velocity'").bind(teamId).all<{ subject: string; count: number }>();

  it("a redelivered or replayed redemption, its rollback and a late 'redeemed' count once", async () => {
    vi.spyOn(console, "log").mockImplementation(() => {});
    const { owner } = await newTeam();
    const made = redemption(owner.teamId);
    const r = (made as Extract<LedgerEntry, { kind: "redemption" }>).redemption;
    const undone: LedgerEntry = { kind: "redemption", redemption: { ...r, status: "rolled_back", rolledBackAt: r.createdAt + 1000, rollbackReason: "x" } };
    await deliver(LEDGER, [message(owner.teamId, [made])]);
    await deliver(LEDGER, [message(owner.teamId, [made]), message(owner.teamId, [made])]);
    expect(await rollups(owner.teamId)).toEqual({ made: 1, undone: 0, discount: 500 });
    await deliver(LEDGER, [message(owner.teamId, [undone])]);
    await deliver(LEDGER, [message(owner.teamId, [undone]), message(owner.teamId, [made])]);
    await deliver(LEDGER, [message(owner.teamId, [made])]);
    expect(await rollups(owner.teamId)).toEqual({ made: 1, undone: 1, discount: 0 });
  });

  it("customer_velocity: a burst raises its alert whatever order its redemptions land in", async () => {
    vi.spyOn(console, "log").mockImplementation(() => {});
    const { owner } = await newTeam();
    const now = Date.now();
    // Five redemptions of one customer within a minute (default threshold: 5 within 600 s), on five vouchers,
    // landing newest first: each delivery alone sees fewer than five before it.
    const burst = Array.from({ length: 5 }, (_, i) => redemption(owner.teamId, { customerId: "burst-buyer", createdAt: now - 60_000 + i * 10_000 }));
    for (const e of [...burst].reverse()) await deliver(LEDGER, [message(owner.teamId, [e])]);
    expect((await velocity(owner.teamId)).results).toEqual([{ subject: "burst-buyer", count: 5 }]);
  });
});
