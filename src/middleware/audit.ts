// Records, after the response is decided, every request that changed state and every denied one (401 once the
// key is identified, 403, 429). The entry goes to the audit queue from waitUntil: no round trip holds the answer.
import type { MiddlewareHandler } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
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
  const env = c.env;
  c.executionCtx.waitUntil(
    env.AUDIT_QUEUE.send(entry).catch(async () => {
      // The queue refused: write directly rather than lose the entry.
      await writeAuditEntries(env, [entry]).catch((err) =>
        console.error(JSON.stringify({ level: "error", request_id: entry.request_id, audit: "lost", error: String(err) })),
      );
    }),
  );
});
