// Hands the worker's queue handler a batch, as a Queue would, and reports what became of each message: acked,
// retried, and the delay each retry (or a retryAll) asked for, which the test harness does not record itself.
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { vi } from "vitest";
import worker from "../../src/index";
import type { Env } from "../../src/env";

let seq = 0;

export async function deliverBatch(queue: string, bodies: unknown[], options: { attempts?: number; env?: Env } = {}) {
  const messages = bodies.map((body) => ({ id: `msg-${queue}-${++seq}`, timestamp: new Date(), attempts: options.attempts ?? 1, body }));
  const batch = createMessageBatch(queue, messages);
  /** Per message id, and "*" for retryAll. */
  const delays = new Map<string, number | undefined>();
  for (const m of batch.messages) {
    const retry = m.retry.bind(m);
    vi.spyOn(m, "retry").mockImplementation((o) => {
      delays.set(m.id, o?.delaySeconds);
      retry(o);
    });
  }
  const retryAll = batch.retryAll.bind(batch);
  vi.spyOn(batch, "retryAll").mockImplementation((o) => {
    delays.set("*", o?.delaySeconds);
    retryAll(o);
  });
  const ctx = createExecutionContext();
  await worker.queue(batch, options.env ?? env);
  const result = await getQueueResult(batch, ctx);
  const retried = result.retryMessages.map((r) => ({ id: r.msgId, delaySeconds: delays.get(r.msgId) }));
  return { ids: messages.map((m) => m.id), result, delays, retried };
}
