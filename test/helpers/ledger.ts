// Helpers for the ledger stream: a stand-in ledger queue inside a voucher object (to see, refuse or lose its sends)
// and direct deliveries to the worker's ledger consumer, with failures injected around them.
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { pollUntil } from "./poll";
import { deliverBatch } from "./queues";
import { vi } from "vitest";
import worker from "../../src/index";
import type { Env } from "../../src/env";
import type { LedgerMessage } from "../../src/domain/ledger";
import type { VoucherObject } from "../../src/objects/voucher";

export const LEDGER = "vauchflow-ledger-local";
export const LEDGER_DEAD_LETTERS = "vauchflow-ledger-dlq-local";

/** How a stand-in queue answers each send, in turn: "accept", "refuse", or "lose" (accepted, but the answer never arrives). */
export type SendFate = "accept" | "refuse" | "lose";

/** What a stand-in queue saw: every accepted message (twice if its send was "lost" and sent again), and the refusals. */
export type Sent = { messages: LedgerMessage[]; refused: number; sends: number };

type Internals = { env: Env };

/**
 * Replaces a voucher object's ledger queue with one that records what it accepts and answers each send by
 * `fates` (then `then`). The queue is built inside the object: promises cannot cross from the test into it.
 */
export async function standInQueue(stub: DurableObjectStub<VoucherObject>, sent: Sent, fates: SendFate[] = [], then: SendFate = "accept") {
  await runInDurableObject(stub, (instance: VoucherObject) => {
    const internals = instance as unknown as Internals;
    const queue: Queue<LedgerMessage> = {
      metrics: async () => ({ backlogCount: 0, backlogBytes: 0 }),
      send: async () => {
        throw new Error("the voucher object sends in batches");
      },
      sendBatch: async (messages) => {
        const fate = fates[sent.sends] ?? then;
        sent.sends += 1;
        if (fate === "refuse") {
          sent.refused += 1;
          throw new Error("Queue send failed (simulated)");
        }
        for (const m of messages) sent.messages.push(structuredClone(m.body));
        if (fate === "lose") throw new Error("Network connection lost (simulated)");
        return { metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } };
      },
    };
    internals.env = { ...internals.env, LEDGER_QUEUE: queue };
  });
}

/** Gives the object its real ledger queue back. */
export const realQueue = (stub: DurableObjectStub<VoucherObject>) =>
  runInDurableObject(stub, (instance: VoucherObject) => {
    const internals = instance as unknown as Internals;
    internals.env = { ...internals.env, LEDGER_QUEUE: env.LEDGER_QUEUE };
  });

export const outboxSize = (stub: DurableObjectStub<VoucherObject>) =>
  runInDurableObject(stub, (_i, state) => state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM outbox").one().n);

/**
 * Waits (up to poll.ts's PATIENCE_MS) until the object's outbox table is empty: its entries sent, accepted, and
 * their deletion written (with the next change, or when the safety alarm fires). Runs the alarm between reads.
 * Returns the rows left.
 */
export function emptiedOutbox(stub: DurableObjectStub<VoucherObject>): Promise<number> {
  return pollUntil(() => outboxSize(stub), (left) => left === 0, { intervalMs: 100, between: () => runDurableObjectAlarm(stub) });
}

/** A delivery to the worker's queue handler (./queues.ts). */
export const deliver = deliverBatch;

/** D1 in an outage: statements can be prepared, nothing answers. */
export function unavailableD1(): D1Database {
  const fail = () => Promise.reject(new Error("D1_ERROR: Network connection lost. (simulated outage)"));
  return new Proxy(env.DB, {
    get(target, prop) {
      if (prop === "batch" || prop === "exec") return fail;
      if (prop === "prepare") {
        return (sql: string) => {
          const statement = target.prepare(sql);
          return new Proxy(statement, {
            get(s, p) {
              if (p === "first" || p === "run" || p === "all" || p === "raw") return fail;
              if (p === "bind") return (...args: unknown[]) => s.bind(...args);
              const value: unknown = Reflect.get(s, p);
              return typeof value === "function" ? value.bind(s) : value;
            },
          });
        };
      }
      const value: unknown = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** D1 that counts its write transactions (batch calls) and their statements. */
export function countingD1(counts: { transactions: number; statements: number }): D1Database {
  return new Proxy(env.DB, {
    get(target, prop) {
      if (prop === "batch") {
        return (statements: D1PreparedStatement[]) => {
          counts.transactions += 1;
          counts.statements += statements.length;
          return target.batch(statements);
        };
      }
      const value: unknown = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** A stand-in for a producer binding (the dead-letter queue) that records what is posted, or refuses it. */
export function recordingQueue<T>(refuse = false) {
  const posted: { body: T; delaySeconds?: number }[] = [];
  const accept = (messages: MessageSendRequest<T>[]) => {
    if (refuse) throw new Error("Queue send failed (simulated)");
    for (const m of messages) posted.push({ body: m.body, delaySeconds: m.delaySeconds });
    return { metadata: { metrics: { backlogCount: posted.length, backlogBytes: 0 } } };
  };
  const queue: Queue<T> = {
    metrics: async () => ({ backlogCount: posted.length, backlogBytes: 0 }),
    send: async (body, options) => accept([{ body, ...options }]),
    sendBatch: async (messages) => accept([...messages]),
  };
  return { queue, posted };
}

export const withEnv = (changes: Partial<Env>): Env => ({ ...env, ...changes });
