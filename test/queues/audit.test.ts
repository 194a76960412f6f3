// Audit entries are never dropped: the audit consumer retries a batch D1 refuses, the queue then moves it to the
// dead-letter queue, and that queue's consumer drains it into D1 — retrying, idempotent by request id, re-posting
// what it still cannot write before its own retries run out.
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Env } from "../../src/env";
import { deliverBatch } from "../helpers/queues";
import worker from "../../src/index";
import { AUDIT_RETRY_DELAY_S, type AuditEntry, enqueueAuditEntries as send } from "../../src/queues/audit";
import { DEAD_LETTER_RETRY_DELAY_S, REPOST_AFTER_ATTEMPTS } from "../../src/queues/audit-dead-letters";

const AUDIT = "vauchflow-audit-local";
const DEAD_LETTERS = "vauchflow-audit-dlq-local";

let seq = 0;
const entry = (extra: Partial<AuditEntry> = {}): AuditEntry => ({
  request_id: `req_TESTAUDIT${Date.now().toString(36).toUpperCase()}${++seq}`,
  team_id: "team_TEST",
  credential_id: "key_TEST",
  method: "POST",
  path: "/v1/customers",
  status: 201,
  agent_context: { agent: "test", client: null, prompt_fp: null, conv: null },
  at: Date.now() - 3_600_000,
  ...extra,
});

const deliver = (queue: string, bodies: AuditEntry[], options: { attempts?: number; env?: Env } = {}) => deliverBatch(queue, bodies, options);

/** D1 as it is in an outage: statements can be prepared, nothing can be written. */
function unavailableD1(): D1Database {
  const fail = () => Promise.reject(new Error("D1_ERROR: Network connection lost. (simulated outage)"));
  return new Proxy(env.DB, {
    get(target, prop) {
      if (prop === "batch" || prop === "exec") return fail;
      const value: unknown = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** A stand-in for the dead-letter queue's producer binding that records what is posted, or refuses it. */
function recordingQueue(refuse = false) {
  const posted: { body: AuditEntry; delaySeconds?: number }[] = [];
  const metrics = () => ({ backlogCount: posted.length, backlogBytes: 0 });
  const accept = (messages: MessageSendRequest<AuditEntry>[]) => {
    if (refuse) throw new Error("Queue send failed (simulated)");
    for (const m of messages) posted.push({ body: m.body, delaySeconds: m.delaySeconds });
    return { metadata: { metrics: metrics() } };
  };
  const queue: Queue<AuditEntry> = {
    metrics: async () => metrics(),
    send: async (body, options) => accept([{ body, ...options }]),
    sendBatch: async (messages) => accept([...messages]),
  };
  return { queue, posted };
}

const withEnv = (changes: Partial<Env>): Env => ({ ...env, ...changes });

async function rowsOf(entries: AuditEntry[]) {
  const ids = entries.map((e) => e.request_id);
  const { results } = await env.DB.prepare(`SELECT * FROM audit_log WHERE request_id IN (${ids.map(() => "?").join(", ")}) ORDER BY request_id`)
    .bind(...ids)
    .all<Record<string, unknown>>();
  return results;
}

/** The structured lines the consumers logged, parsed. */
function loggedLines(spy: { mock: { calls: unknown[][] } }) {
  return spy.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>);
}

afterEach(() => vi.restoreAllMocks());

describe("the audit consumer", () => {
  it("writes a batch and acknowledges it; D1 down → the whole batch is retried in 30 s, nothing acknowledged", async () => {
    const written = [entry(), entry()];
    const ok = await deliver(AUDIT, written);
    expect(ok.result.ackAll).toBe(true);
    expect(await rowsOf(written)).toHaveLength(2);

    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const lost = [entry(), entry(), entry()];
    const down = await deliver(AUDIT, lost, { env: withEnv({ DB: unavailableD1() }), attempts: 7 });
    expect(down.result.ackAll).toBe(false);
    expect(down.result.explicitAcks).toEqual([]);
    expect(down.result.retryBatch.retry).toBe(true);
    expect(down.delays.get("*")).toBe(AUDIT_RETRY_DELAY_S);
    expect(await rowsOf(lost)).toHaveLength(0);
    expect(loggedLines(errors)).toContainEqual(expect.objectContaining({ event: "audit_write_failed", queue: AUDIT, messages: 3, attempts: 7 }));
  });

  it("an entry D1 refuses while it answers does not hold back its batch: the others are written, it goes to the dead-letter queue", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const good = [entry(), entry()];
    // Fields missing (another producer's message, an older version's): D1 refuses to bind it, however often it is tried.
    const { request_id, at } = entry();
    const refused = { request_id, at } as AuditEntry;
    const { queue, posted } = recordingQueue();
    const { ids, result } = await deliver(AUDIT, [good[0] as AuditEntry, refused, good[1] as AuditEntry], { env: withEnv({ AUDIT_DLQ: queue }) });
    expect(await rowsOf(good)).toHaveLength(2);
    expect(result.retryBatch.retry).toBe(false);
    expect(result.retryMessages).toEqual([]);
    expect(result.explicitAcks.sort()).toEqual([...ids].sort());
    expect(posted).toEqual([{ body: refused, delaySeconds: undefined }]);
    expect(loggedLines(errors)).toContainEqual(expect.objectContaining({ event: "audit_write_failed", queue: AUDIT, messages: 3, written: 2, dead_lettered: 1 }));

    // The dead-letter queue refusing too: that entry alone is retried, the others stay written and acknowledged.
    const again = [entry(), refused];
    const refusing = recordingQueue(true);
    const stuck = await deliver(AUDIT, again, { env: withEnv({ AUDIT_DLQ: refusing.queue }) });
    expect(await rowsOf([again[0] as AuditEntry])).toHaveLength(1);
    expect(stuck.result.explicitAcks).toEqual([stuck.ids[0]]);
    expect(stuck.retried).toEqual([{ id: stuck.ids[1], delaySeconds: AUDIT_RETRY_DELAY_S }]);
  });
});

describe("the audit dead-letter consumer", () => {
  it("D1 failing → every entry is retried in 5 minutes, none acknowledged, and one error line counts them", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const entries = [entry(), entry(), entry()];
    const { ids, result, delays } = await deliver(DEAD_LETTERS, entries, { env: withEnv({ DB: unavailableD1() }), attempts: 3 });
    expect(result.ackAll).toBe(false);
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages.map((m) => m.msgId).sort()).toEqual([...ids].sort());
    for (const id of ids) expect(delays.get(id)).toBe(DEAD_LETTER_RETRY_DELAY_S);
    expect(await rowsOf(entries)).toHaveLength(0);
    const [line] = loggedLines(errors).filter((l) => l.event === "audit_dead_letters");
    expect(line).toMatchObject({ level: "error", queue: DEAD_LETTERS, received: 3, written: 0, retrying: 3, reposted: 0, attempts: 3, backlog: 0 });
    expect(line?.request_ids).toEqual(entries.map((e) => e.request_id));
    expect(line?.oldest_at).toBe(new Date(Math.min(...entries.map((e) => e.at))).toISOString());
  });

  it("a dead-lettered batch lands in audit_log as the audit consumer would have written it, and is acknowledged", async () => {
    const warnings = vi.spyOn(console, "warn").mockImplementation(() => {});
    const entries = [entry(), entry({ team_id: null, status: 403, agent_context: null })];
    const { ids, result } = await deliver(DEAD_LETTERS, entries);
    expect(result.retryMessages).toEqual([]);
    expect(result.explicitAcks.sort()).toEqual([...ids].sort());
    const rows = await rowsOf(entries);
    expect(rows).toEqual(
      entries.map((e) => ({ approval_id: null, decided_by: null, ...e, agent_context: e.agent_context ? JSON.stringify(e.agent_context) : null })).sort((a, b) => a.request_id.localeCompare(b.request_id)),
    );
    expect(loggedLines(warnings)).toContainEqual(expect.objectContaining({ event: "audit_dead_letters", received: 2, written: 2, retrying: 0 }));
  });

  it("redelivery, or an entry the audit consumer already wrote, adds no duplicate and changes nothing", async () => {
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const first = entry();
    await deliver(AUDIT, [first]);
    const entries = [first, entry(), entry()];
    await deliver(DEAD_LETTERS, entries);
    const before = await rowsOf(entries);
    expect(before).toHaveLength(3);
    // Redelivered alone, in overlapping batches, concurrently, and with a changed body under the same request id.
    const again = await Promise.all([deliver(DEAD_LETTERS, entries), deliver(DEAD_LETTERS, [entries[2] as AuditEntry, entries[0] as AuditEntry])]);
    const changed = await deliver(DEAD_LETTERS, [{ ...first, status: 500 }]);
    for (const d of [...again, changed]) expect(d.result.retryMessages).toEqual([]);
    expect(await rowsOf(entries)).toEqual(before);
  });

  it("an entry D1 refuses does not hold back the others: they are written, it alone is retried", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const good = [entry(), entry()];
    // Fields missing (a message from a different producer, say): D1 refuses to bind it, whatever the number of tries.
    const { request_id, at } = entry();
    const refused = { request_id, at } as AuditEntry;
    const { ids, result } = await deliver(DEAD_LETTERS, [good[0] as AuditEntry, refused, good[1] as AuditEntry]);
    expect(result.explicitAcks.sort()).toEqual([ids[0], ids[2]].sort());
    expect(result.retryMessages.map((m) => m.msgId)).toEqual([ids[1]]);
    expect(await rowsOf(good)).toHaveLength(2);
    expect(await rowsOf([refused])).toHaveLength(0);
  });

  it(`after ${REPOST_AFTER_ATTEMPTS} deliveries an entry still not written is posted to the dead-letter queue again; if that fails, it is retried`, async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const entries = [entry(), entry()];
    const { queue, posted } = recordingQueue();
    const late = await deliver(DEAD_LETTERS, entries, { env: withEnv({ DB: unavailableD1(), AUDIT_DLQ: queue }), attempts: REPOST_AFTER_ATTEMPTS });
    expect(posted).toEqual(entries.map((body) => ({ body, delaySeconds: DEAD_LETTER_RETRY_DELAY_S })));
    expect(late.result.explicitAcks.sort()).toEqual([...late.ids].sort());
    expect(late.result.retryMessages).toEqual([]);

    const earlier = await deliver(DEAD_LETTERS, entries, { env: withEnv({ DB: unavailableD1(), AUDIT_DLQ: queue }), attempts: REPOST_AFTER_ATTEMPTS - 1 });
    expect(posted).toHaveLength(2);
    expect(earlier.result.retryMessages.map((m) => m.msgId).sort()).toEqual([...earlier.ids].sort());

    const refusing = recordingQueue(true);
    const stuck = await deliver(DEAD_LETTERS, entries, { env: withEnv({ DB: unavailableD1(), AUDIT_DLQ: refusing.queue }), attempts: REPOST_AFTER_ATTEMPTS + 10 });
    expect(stuck.result.explicitAcks).toEqual([]);
    expect(stuck.result.retryMessages.map((m) => m.msgId).sort()).toEqual([...stuck.ids].sort());
  });
});

describe("a queue without a handler", () => {
  it("fails the delivery loudly instead of re-queueing it quietly", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    // A name of the deployed shape that no case of src/index.ts routes.
    const batch = createMessageBatch("vauchflow-unrouted-local", [{ id: "msg-unrouted-1", timestamp: new Date(), attempts: 1, body: { kind: "x" } }]);
    await expect(worker.queue(batch, env)).rejects.toThrow(/No consumer for queue vauchflow-unrouted-local/);
    expect(loggedLines(errors)).toContainEqual(expect.objectContaining({ event: "queue_without_handler", queue: "vauchflow-unrouted-local", messages: 1 }));
    const result = await getQueueResult(batch, createExecutionContext());
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages).toEqual([]);
    expect(result.retryBatch.retry).toBe(false);
  });
});

describe("sending audit entries from a request", () => {
  /** D1 that fails its first `failures` batches, then works. */
  function flakyD1(failures: number) {
    let left = failures;
    return new Proxy(env.DB, {
      get(target, prop) {
        if (prop === "batch" && left > 0) {
          return () => {
            left -= 1;
            return Promise.reject(new Error("D1_ERROR: simulated outage"));
          };
        }
        const value: unknown = Reflect.get(target, prop);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  }

  it("the queue and D1 both refusing at first: the entries are retried until one takes them, never dropped", async () => {
    const entries = [entry(), entry()];
    const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
    await send(withEnv({ AUDIT_QUEUE: recordingQueue(true).queue, DB: flakyD1(2) }), entries, [1, 1, 1]);
    expect(await rowsOf(entries)).toHaveLength(2);
    expect(loggedLines(logged).filter((l) => l.audit === "lost")).toEqual([]);
  });

  it("a queue that recovers takes the entries on a later attempt", async () => {
    const entries = [entry()];
    let refusals = 2;
    const { queue, posted } = recordingQueue();
    const flaky: Queue<AuditEntry> = { ...queue, sendBatch: async (m) => (refusals-- > 0 ? Promise.reject(new Error("refused")) : queue.sendBatch(m)) };
    await send(withEnv({ AUDIT_QUEUE: flaky, DB: flakyD1(10) }), entries, [1, 1, 1]);
    expect(posted.map((p) => p.body.request_id)).toEqual(entries.map((e) => e.request_id));
  });

  it("only when every attempt failed is the loss logged, naming the request ids", async () => {
    const entries = [entry()];
    const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
    await send(withEnv({ AUDIT_QUEUE: recordingQueue(true).queue, DB: flakyD1(10) }), entries, [1, 1]);
    const lost = loggedLines(logged).filter((l) => l.audit === "lost");
    expect(lost).toHaveLength(1);
    expect(lost[0]!.request_ids).toEqual(entries.map((e) => e.request_id));
  });
});
