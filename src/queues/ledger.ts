// The ledger consumer: writes what the voucher objects shipped (src/domain/ledger.ts) into D1, a delivery of up
// to 100 messages at a time, usually in one transaction (./ledger-writes.ts). D1's write transactions therefore
// follow the number of deliveries, not the number of vouchers that changed. Writes are idempotent, so a failed
// delivery is simply retried whole; a message that alone cannot be written, or is not a ledger message at all,
// goes to the dead-letter queue (./ledger-dead-letters.ts) rather than holding the others back.
import type { Env } from "../env";
import { type LedgerMessage, parseLedgerMessage } from "../domain/ledger";
import { backlogOf, d1Answers, oldestAttempt } from "./audit";
import { dispatchSafely } from "./webhook-dispatch";
import { applyErasures, eraseLate, type LateErasure, recheckErasures, reservationErasures } from "./ledger-erasures";
import { insightHooks } from "./ledger-insights";
import { type LedgerPlan, planLedgerWrites } from "./ledger-writes";

/** Writes the messages; throws if any transaction fails (those before it stay written: rewriting them is harmless). */
export async function writeLedger(db: D1Database, messages: readonly LedgerMessage[]): Promise<LedgerPlan<D1PreparedStatement> & { late: LateErasure[] }> {
  const own = structuredClone(messages) as LedgerMessage[];
  const late = await applyErasures(db, own);
  const reservations = await reservationErasures(db, own);
  const plan = planLedgerWrites(db, own, { ...insightHooks(db), ...reservations.hooks });
  for (const t of plan.transactions) reservations.read(t.statements, await db.batch(t.statements));
  // An erasure that recorded itself between the read above and these writes is caught here.
  const missed = await recheckErasures(db, own);
  return { ...plan, late: [...late, ...reservations.late(), ...missed] };
}

/**
 * After a write, before the messages are acknowledged: objects still holding an erased id are told (if one cannot
 * be, this throws and the messages are retried); new checkout events start out to their endpoints.
 */
async function afterWrite(env: Env, plan: { late: LateErasure[] }) {
  if (plan.late.length > 0) await eraseLate(env, plan.late);
  await dispatchSafely(env);
}

/** A message that failed on its own this many times, while the others of its deliveries were written, is poison. */
export const POISON_AFTER_ATTEMPTS = 3;

/** Seconds before a failed delivery comes again: 2, 4, 8 … then every minute (wrangler.toml: max_retries). */
export const ledgerRetryDelay = (attempts: number) => Math.min(60, 2 ** Math.max(1, attempts));

export const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

export { d1Answers };

type Parsed = { message: Message<unknown>; body: LedgerMessage };

/** Moves messages to the dead-letter queue; false if it refused them (they are then retried here). */
async function deadLetter(env: Env, messages: Message<unknown>[]): Promise<boolean> {
  if (messages.length === 0) return true;
  try {
    await env.LEDGER_DLQ.sendBatch(messages.map((m) => ({ body: m.body })));
    return true;
  } catch {
    return false;
  }
}

export async function consumeLedger(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const good: Parsed[] = [];
  const malformed: Message<unknown>[] = [];
  for (const message of batch.messages) {
    const parsed = parseLedgerMessage(message.body);
    if (parsed.ok) good.push({ message, body: parsed.message });
    else malformed.push(message);
  }
  // Not a ledger message: no number of retries will write it.
  const dead = (await deadLetter(env, malformed)) ? malformed : [];
  for (const m of malformed) {
    if (dead.includes(m)) m.ack();
    else m.retry({ delaySeconds: ledgerRetryDelay(m.attempts) });
  }

  try {
    const t0 = Date.now();
    const plan = await writeLedger(env.DB, good.map((p) => p.body));
    const writeMs = Date.now() - t0;
    await afterWrite(env, plan);
    for (const p of good) p.message.ack();
    const oldest = Math.min(...good.map((p) => p.body.oldest_at));
    console.log(
      JSON.stringify({
        level: "info",
        event: "ledger_written",
        queue: batch.queue,
        messages: good.length,
        entries: plan.entries,
        rows: plan.rows,
        transactions: plan.transactions.length,
        write_ms: writeMs,
        ...(good.length > 0 ? { lag_ms: Date.now() - oldest } : {}),
        ...(malformed.length > 0 ? { dead_lettered: dead.length } : {}),
      }),
    );
  } catch (err) {
    await writeOneByOne(batch, env, good, err);
  }
}

/** The delivery failed as a whole: find out whether D1 is down (retry everything) or some messages are to blame. */
async function writeOneByOne(batch: MessageBatch<unknown>, env: Env, good: Parsed[], batchError: unknown) {
  const line = { queue: batch.queue, messages: good.length, attempts: oldestAttempt(batch), backlog: backlogOf(batch) };
  if (!(await d1Answers(env.DB))) {
    for (const p of good) p.message.retry({ delaySeconds: ledgerRetryDelay(p.message.attempts) });
    console.error(JSON.stringify({ level: "error", event: "ledger_write_failed", ...line, d1: "down", error: errorText(batchError) }));
    return;
  }
  const failed: Parsed[] = [];
  let error = errorText(batchError);
  for (const p of good) {
    try {
      await afterWrite(env, await writeLedger(env.DB, [p.body]));
      p.message.ack();
    } catch (err) {
      failed.push(p);
      error = errorText(err);
    }
  }
  // Blame a message only when others were written around it: if every one failed, D1 may be refusing writes.
  const blamed = failed.length < good.length ? failed.filter((p) => p.message.attempts >= POISON_AFTER_ATTEMPTS) : [];
  const dead = (await deadLetter(env, blamed.map((p) => p.message))) ? blamed : [];
  for (const p of failed) {
    if (dead.includes(p)) p.message.ack();
    else p.message.retry({ delaySeconds: ledgerRetryDelay(p.message.attempts) });
  }
  if (failed.length === 0) return;
  console.error(
    JSON.stringify({
      level: "error",
      event: "ledger_write_failed",
      ...line,
      written: good.length - failed.length,
      retrying: failed.length - dead.length,
      dead_lettered: dead.length,
      sources: failed.map((p) => p.body.source),
      error,
    }),
  );
}
