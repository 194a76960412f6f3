// The ledger's dead-letter queue holds messages the ledger consumer could not write: every one of its retries
// failed (an outage of many minutes), or the message alone failed while others were written (poison), or it was
// not a ledger message at all. This consumer drains it: it writes what lands, the same idempotent way, retries
// the rest every 5 minutes while D1 is down, and parks in D1's `ledger_dead_letters` table what still fails while
// D1 answers, where it can be seen and replayed. Nothing is dropped. Every delivery logs one line.
import type { Env } from "../env";
import { type LedgerMessage, parseLedgerMessage } from "../domain/ledger";
import { backlogOf, oldestAttempt } from "./audit";
import { d1Answers, errorText, writeLedger } from "./ledger";
import { eraseLate } from "./ledger-erasures";

/** Writes the messages, then tells the objects still holding an erased id (throws if one cannot be told). */
const writeAndErase = async (env: Env, messages: LedgerMessage[]) => eraseLate(env, (await writeLedger(env.DB, messages)).late);

export const LEDGER_DEAD_LETTER_RETRY_DELAY_S = 300;
/** Deliveries here after which a message D1 still refuses, while answering, is parked instead of retried. */
export const PARK_AFTER_ATTEMPTS = 3;
/** Well under this queue's max_retries (100): a message still waiting on D1 is posted again, never deleted. */
export const REPOST_AFTER_ATTEMPTS = 50;

type Failure = { message: Message<unknown>; source: string | null; error: string; poison: boolean };

function park(env: Env, failures: Failure[]) {
  const now = Date.now();
  return env.DB.batch(
    failures.map((f) =>
      env.DB.prepare(
        `INSERT INTO ledger_dead_letters (message_id, source, body, error, attempts, parked_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (message_id) DO UPDATE SET error = excluded.error, attempts = excluded.attempts, parked_at = excluded.parked_at`,
      ).bind(f.message.id, f.source, JSON.stringify(f.message.body) ?? "null", f.error, f.message.attempts, now),
    ),
  );
}

async function repost(env: Env, messages: Message<unknown>[]): Promise<boolean> {
  try {
    await env.LEDGER_DLQ.sendBatch(messages.map((m) => ({ body: m.body, delaySeconds: LEDGER_DEAD_LETTER_RETRY_DELAY_S })));
    return true;
  } catch {
    return false;
  }
}

/** Writes the batch at once, else message by message; returns what did not land and why. */
async function writeWhatLands(env: Env, batch: MessageBatch<unknown>): Promise<Failure[]> {
  const failures: Failure[] = [];
  const good = [];
  for (const message of batch.messages) {
    const parsed = parseLedgerMessage(message.body);
    if (parsed.ok) good.push({ message, body: parsed.message });
    else failures.push({ message, source: null, error: `not a ledger message: ${parsed.error}`, poison: true });
  }
  if (good.length === 0) return failures;
  try {
    await writeAndErase(env, good.map((g) => g.body));
    return failures;
  } catch (batchError) {
    if (!(await d1Answers(env.DB))) return [...failures, ...good.map((g) => ({ message: g.message, source: g.body.source, error: errorText(batchError), poison: false }))];
    for (const g of good) {
      try {
        await writeAndErase(env, [g.body]);
      } catch (err) {
        failures.push({ message: g.message, source: g.body.source, error: errorText(err), poison: g.message.attempts >= PARK_AFTER_ATTEMPTS });
      }
    }
    return failures;
  }
}

export async function drainLedgerDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const failures = await writeWhatLands(env, batch);
  const poison = failures.filter((f) => f.poison);
  let parked: Failure[] = [];
  try {
    if (poison.length > 0) await park(env, poison);
    parked = poison;
  } catch {
    // D1 refused the parking too: they wait with the others.
  }
  const waiting = failures.filter((f) => !parked.includes(f));
  const stale = waiting.filter((f) => f.message.attempts >= REPOST_AFTER_ATTEMPTS).map((f) => f.message);
  const reposted = stale.length > 0 && (await repost(env, stale)) ? stale : [];
  const failed = new Set(waiting.map((f) => f.message));
  for (const m of batch.messages) {
    if (!failed.has(m) || reposted.includes(m)) m.ack();
    else m.retry({ delaySeconds: LEDGER_DEAD_LETTER_RETRY_DELAY_S });
  }

  const line = {
    level: failures.length > 0 ? "error" : "warn",
    event: "ledger_dead_letters",
    queue: batch.queue,
    received: batch.messages.length,
    written: batch.messages.length - failures.length,
    parked: parked.length,
    retrying: waiting.length - reposted.length,
    reposted: reposted.length,
    attempts: oldestAttempt(batch),
    backlog: backlogOf(batch),
    ...(failures.length > 0 ? { sources: failures.map((f) => f.source), error: failures[failures.length - 1]!.error } : {}),
  };
  if (failures.length > 0) console.error(JSON.stringify(line));
  else console.warn(JSON.stringify(line));
}
