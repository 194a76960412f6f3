// The audit queue's dead-letter queue holds entries whose batch failed every retry of the audit queue: a D1
// outage of most of an hour, or an entry D1 refuses. This consumer drains them into D1 the same idempotent way
// (INSERT OR IGNORE by request id) and never lets one go: before this queue's own retries run out, an entry not
// yet written is posted to the queue again as a new message. Every delivery logs one `audit_dead_letters` line.
import type { Env } from "../env";
import { type AuditEntry, backlogOf, oldestAttempt, writeAuditEntries } from "./audit";

/** Seconds between tries: by now D1 has been failing for a while, so there is no point in hurrying. */
export const DEAD_LETTER_RETRY_DELAY_S = 300;

/**
 * Deliveries after which an entry still not written is posted again (about 4 hours at the delay above). Well
 * under the consumer's max_retries (100, wrangler.toml), so a failed re-post is still retried, never deleted.
 */
export const REPOST_AFTER_ATTEMPTS = 50;

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Writes the batch at once, else entry by entry, so that one entry D1 refuses does not hold back the others. */
async function writeWhatLands(env: Env, messages: readonly Message<AuditEntry>[]): Promise<{ failed: Message<AuditEntry>[]; error: string | null }> {
  try {
    await writeAuditEntries(env, messages.map((m) => m.body));
    return { failed: [], error: null };
  } catch (batchError) {
    const failed: Message<AuditEntry>[] = [];
    let error = message(batchError);
    for (const m of messages) {
      try {
        await writeAuditEntries(env, [m.body]);
      } catch (err) {
        failed.push(m);
        error = message(err);
      }
    }
    return { failed, error };
  }
}

/** Posts the entries to the dead-letter queue again, as new messages with their retries ahead of them. */
async function repost(env: Env, messages: Message<AuditEntry>[]): Promise<boolean> {
  try {
    await env.AUDIT_DLQ.sendBatch(messages.map((m) => ({ body: m.body, delaySeconds: DEAD_LETTER_RETRY_DELAY_S })));
    return true;
  } catch {
    // Left to the queue's retries: REPOST_AFTER_ATTEMPTS keeps plenty of them in hand.
    return false;
  }
}

/** When the oldest entry of the batch was recorded: how far behind the audit log is. */
function oldestAt(messages: readonly Message<AuditEntry>[]): string | null {
  const times = messages.map((m) => m.body?.at).filter((t): t is number => Number.isFinite(t));
  return times.length > 0 ? new Date(Math.min(...times)).toISOString() : null;
}

export async function drainAuditDeadLetters(batch: MessageBatch<AuditEntry>, env: Env): Promise<void> {
  const { failed, error } = await writeWhatLands(env, batch.messages);
  const stale = failed.filter((m) => m.attempts >= REPOST_AFTER_ATTEMPTS);
  const reposted = stale.length > 0 && (await repost(env, stale)) ? stale : [];
  for (const m of batch.messages) {
    if (!failed.includes(m) || reposted.includes(m)) m.ack();
    else m.retry({ delaySeconds: DEAD_LETTER_RETRY_DELAY_S });
  }

  const line = {
    level: failed.length > 0 ? "error" : "warn",
    event: "audit_dead_letters",
    queue: batch.queue,
    received: batch.messages.length,
    written: batch.messages.length - failed.length,
    retrying: failed.length - reposted.length,
    reposted: reposted.length,
    attempts: oldestAttempt(batch),
    // Entries still waiting in the dead-letter queue besides this batch: the number to watch in an outage.
    backlog: backlogOf(batch),
    oldest_at: oldestAt(batch.messages),
    ...(failed.length > 0 ? { retry_in_s: DEAD_LETTER_RETRY_DELAY_S, request_ids: failed.map((m) => m.body?.request_id ?? null), error } : {}),
  };
  if (failed.length > 0) console.error(JSON.stringify(line));
  else console.warn(JSON.stringify(line));
}
