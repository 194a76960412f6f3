// Audit entries travel through a Queue so writing them never holds a response and a failed D1 write is retried
// by the queue until it lands. The request id is the primary key, so a redelivered message changes nothing.
import type { AgentContext, Env } from "../env";

export type AuditEntry = {
  request_id: string;
  team_id: string | null;
  credential_id: string;
  method: string;
  path: string;
  status: number;
  agent_context: AgentContext | null;
  at: number;
};

function insertStatement(env: Env, e: AuditEntry) {
  return env.DB.prepare(
    `INSERT OR IGNORE INTO audit_log (request_id, team_id, credential_id, method, path, status, agent_context, at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  ).bind(e.request_id, e.team_id, e.credential_id, e.method, e.path, e.status, e.agent_context ? JSON.stringify(e.agent_context) : null, e.at);
}

export async function writeAuditEntries(env: Env, entries: AuditEntry[]): Promise<void> {
  if (entries.length > 0) await env.DB.batch(entries.map((e) => insertStatement(env, e)));
}

/**
 * Seconds between deliveries of a batch that failed. With the consumer's max_retries (100, wrangler.toml) a batch
 * is retried for about 50 minutes; then the queue moves it to the dead-letter queue (./audit-dead-letters.ts).
 */
export const AUDIT_RETRY_DELAY_S = 30;

export const oldestAttempt = (batch: MessageBatch<unknown>) => Math.max(0, ...batch.messages.map((m) => m.attempts));

/** Messages waiting in the batch's queue, as the platform reports it with the batch (null where it does not). */
export const backlogOf = (batch: MessageBatch<unknown>): number | null => batch.metadata?.metrics?.backlogCount ?? null;

/** Queue consumer: one D1 batch per delivery; on failure the whole batch is retried (inserts are idempotent). */
export async function consumeAudit(batch: MessageBatch<AuditEntry>, env: Env): Promise<void> {
  try {
    await writeAuditEntries(env, batch.messages.map((m) => m.body));
    batch.ackAll();
  } catch (err) {
    console.error(
      JSON.stringify({
        level: "error",
        event: "audit_write_failed",
        queue: batch.queue,
        messages: batch.messages.length,
        attempts: oldestAttempt(batch),
        backlog: backlogOf(batch),
        retry_in_s: AUDIT_RETRY_DELAY_S,
        error: err instanceof Error ? err.message : String(err),
      }),
    );
    batch.retryAll({ delaySeconds: AUDIT_RETRY_DELAY_S });
  }
}
