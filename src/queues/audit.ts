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
  /** On an agent's action run from an approval: the approval and who approved it (user or secret key id). */
  approval_id?: string | null;
  decided_by?: string | null;
};

function insertStatement(env: Env, e: AuditEntry) {
  return env.DB.prepare(
    `INSERT OR IGNORE INTO audit_log (request_id, team_id, credential_id, method, path, status, agent_context, at, approval_id, decided_by)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).bind(
    e.request_id,
    e.team_id,
    e.credential_id,
    e.method,
    e.path,
    e.status,
    e.agent_context ? JSON.stringify(e.agent_context) : null,
    e.at,
    e.approval_id ?? null,
    e.decided_by ?? null,
  );
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

/** Whether D1 answers at all: if not, no entry is to blame and all of them wait alike. */
export async function d1Answers(db: D1Database): Promise<boolean> {
  try {
    await db.prepare("SELECT 1").first();
    return true;
  } catch {
    return false;
  }
}

/**
 * Queue consumer: one D1 batch per delivery. If D1 refuses it while answering, the entries are written one by one
 * and one that fails while others land (a malformed message: D1 refuses it however often it is tried) goes to the
 * dead-letter queue at once rather than holding its batch back for the ~50 minutes of retries; otherwise (D1 down)
 * the whole batch is retried (inserts are idempotent).
 */
export async function consumeAudit(batch: MessageBatch<AuditEntry>, env: Env): Promise<void> {
  try {
    await writeAuditEntries(env, batch.messages.map((m) => m.body));
    batch.ackAll();
  } catch (err) {
    const line = {
      level: "error",
      event: "audit_write_failed",
      queue: batch.queue,
      messages: batch.messages.length,
      attempts: oldestAttempt(batch),
      backlog: backlogOf(batch),
      retry_in_s: AUDIT_RETRY_DELAY_S,
      error: err instanceof Error ? err.message : String(err),
    };
    if (batch.messages.length < 2 || !(await d1Answers(env.DB))) {
      console.error(JSON.stringify(line));
      batch.retryAll({ delaySeconds: AUDIT_RETRY_DELAY_S });
      return;
    }
    const failed: Message<AuditEntry>[] = [];
    for (const m of batch.messages) {
      try {
        await writeAuditEntries(env, [m.body]);
        m.ack();
      } catch (e) {
        failed.push(m);
        line.error = e instanceof Error ? e.message : String(e);
      }
    }
    // Blame an entry only when others were written around it: if every one failed, D1 may be refusing writes.
    if (failed.length === batch.messages.length) {
      console.error(JSON.stringify(line));
      batch.retryAll({ delaySeconds: AUDIT_RETRY_DELAY_S });
      return;
    }
    let deadLettered = false;
    if (failed.length > 0) {
      try {
        await env.AUDIT_DLQ.sendBatch(failed.map((m) => ({ body: m.body })));
        deadLettered = true;
      } catch {
        // Retried here; after max_retries the queue moves them to the dead-letter queue itself.
      }
    }
    for (const m of failed) {
      if (deadLettered) m.ack();
      else m.retry({ delaySeconds: AUDIT_RETRY_DELAY_S });
    }
    if (failed.length === 0) return;
    console.error(
      JSON.stringify({
        ...line,
        written: batch.messages.length - failed.length,
        dead_lettered: deadLettered ? failed.length : 0,
        request_ids: failed.map((m) => (m.body as Partial<AuditEntry> | null)?.request_id ?? null),
      }),
    );
  }
}

/** Waits between attempts when both the queue and D1 refuse: about 15 s in all, within waitUntil's grace. */
const RETRY_DELAYS_MS = [200, 1000, 3000, 10_000];

/**
 * The queue first; if it refuses, D1 directly; if both refuse, again after a pause, a few times. Only when every
 * attempt failed is the entry given up, and then its request ids are logged so it can be restored by hand.
 */
export async function enqueueAuditEntries(env: Env, entries: AuditEntry[], delays: readonly number[] = RETRY_DELAYS_MS) {
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
