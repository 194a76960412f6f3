// Records, after the response is decided, every request that changed state and every denied one (401 once the
// key is identified, 403, 429). The entry goes to the audit queue from waitUntil: no round trip holds the answer.
import type { Context, MiddlewareHandler } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv, Env } from "../env";
import { type AuditEntry, enqueueAuditEntries } from "../queues/audit";

const DENIED = new Set([401, 403, 429]);

/** Declared per route by defineRoute: a POST such as validate reads only, and is not audited when it succeeds. */
export function markChangesState(changesState: boolean): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set("changesState", changesState);
    await next();
  };
}

/** Whether an answer is audited: a change that happened (not a preview, not a replay), or a denial. */
export function audited(answer: { changesState: boolean; status: number; dryRun: boolean; replayed: boolean }): boolean {
  const changed = answer.changesState && answer.status < 400 && !answer.dryRun && !answer.replayed;
  return changed || DENIED.has(answer.status);
}

/**
 * Queues the audit entry of this request under `path`: the request's own, or for an MCP tool call
 * `/v1/mcp#<tool>` (mcp/call.ts), so one HTTP request that carries a tool call is audited once, as that tool.
 */
export function recordAudit(c: Context<AppEnv>, path: string, status: number): void {
  const subject = c.get("auditSubject");
  if (!subject) return;
  const entry: AuditEntry = {
    request_id: c.get("requestId"),
    team_id: subject.teamId,
    credential_id: subject.credentialId,
    method: c.req.method,
    path,
    status,
    agent_context: c.get("agentContext") ?? null,
    at: Date.now(),
  };
  const flushing = record(c.env, entry);
  if (flushing) c.executionCtx.waitUntil(flushing);
}

export const audit = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  const status = c.res.status;
  const replayed = c.res.headers.get("Idempotent-Replayed") === "true";
  if (audited({ changesState: c.get("changesState") === true, status, dryRun: c.get("dryRun") ?? false, replayed })) recordAudit(c, c.req.path, status);
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
    for (let i = 0; i < batch.length; i += MAX_BATCH) await enqueueAuditEntries(env, batch.slice(i, i + MAX_BATCH));
  });
}
