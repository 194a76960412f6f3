// Records, after the response is decided, every request that changed state and every denied one (401 once the
// key is identified, 403, 429). The entry goes to the audit queue from waitUntil: no round trip holds the answer.
import type { MiddlewareHandler } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv, Env } from "../env";
import { type AuditEntry, writeAuditEntries } from "../queues/audit";

const DENIED = new Set([401, 403, 429]);

/** Declared per route by defineRoute: a POST such as validate reads only, and is not audited when it succeeds. */
export function markChangesState(changesState: boolean): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set("changesState", changesState);
    await next();
  };
}

export const audit = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  const subject = c.get("auditSubject");
  if (!subject) return;
  const status = c.res.status;
  const changed = c.get("changesState") === true && status < 400 && !c.get("dryRun") && c.res.headers.get("Idempotent-Replayed") !== "true";
  if (!changed && !DENIED.has(status)) return;
  const entry: AuditEntry = {
    request_id: c.get("requestId"),
    team_id: subject.teamId,
    credential_id: subject.credentialId,
    method: c.req.method,
    path: c.req.path,
    status,
    agent_context: c.get("agentContext") ?? null,
    at: Date.now(),
  };
  const flushing = record(c.env, entry);
  if (flushing) c.executionCtx.waitUntil(flushing);
});

/**
 * Entries recorded within a few milliseconds of each other in this isolate leave in one queue batch: a send per
 * request cost a third of a redemption's throughput (BENCHMARKS.md). The request that opens a batch sends it
 * from its own waitUntil; later requests only add their entry to it (no promise crosses request contexts).
 */
const BATCH_WINDOW_MS = 20;
const MAX_BATCH = 100;
let buffer: AuditEntry[] = [];
let scheduled = false;

function record(env: Env, entry: AuditEntry): Promise<void> | null {
  buffer.push(entry);
  if (scheduled) return null;
  scheduled = true;
  return new Promise<void>((resolve) => setTimeout(resolve, BATCH_WINDOW_MS)).then(async () => {
    const batch = buffer;
    buffer = [];
    scheduled = false;
    for (let i = 0; i < batch.length; i += MAX_BATCH) await send(env, batch.slice(i, i + MAX_BATCH));
  });
}

/** Waits between attempts when both the queue and D1 refuse: about 15 s in all, within waitUntil's grace. */
const RETRY_DELAYS_MS = [200, 1000, 3000, 10_000];

/**
 * The queue first; if it refuses, D1 directly; if both refuse, again after a pause, a few times. Only when every
 * attempt failed is the entry given up, and then its request ids are logged so it can be restored by hand.
 */
export async function send(env: Env, entries: AuditEntry[], delays: readonly number[] = RETRY_DELAYS_MS) {
  let lastError: unknown;
  for (let attempt = 0; attempt <= delays.length; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, delays[attempt - 1]));
    try {
      await env.AUDIT_QUEUE.sendBatch(entries.map((body) => ({ body })));
      return;
    } catch (err) {
      lastError = err;
    }
    try {
      await writeAuditEntries(env, entries);
      return;
    } catch (err) {
      lastError = err;
    }
  }
  console.error(JSON.stringify({ level: "error", audit: "lost", request_ids: entries.map((e) => e.request_id), error: String(lastError) }));
}
