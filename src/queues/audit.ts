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

/** Queue consumer: one D1 batch per delivery; on failure the whole batch is retried (inserts are idempotent). */
export async function consumeAudit(batch: MessageBatch<AuditEntry>, env: Env): Promise<void> {
  try {
    await writeAuditEntries(env, batch.messages.map((m) => m.body));
    batch.ackAll();
  } catch (err) {
    console.error(JSON.stringify({ level: "error", queue: batch.queue, error: err instanceof Error ? err.message : String(err) }));
    batch.retryAll({ delaySeconds: 5 });
  }
}
