// Webhook delivery consumer (API.md §9). A message wakes one delivery for one attempt; the delivery's row in D1
// is the truth. The attempt is claimed with a conditional update first, so a message delivered twice, or queued
// again by the sweep, never sends the same attempt twice. Each message is handled on its own: one that fails
// (D1 unreachable, a secret that cannot be unsealed) is retried alone and, after the consumer's max_retries,
// moves to the dead-letter queue (./webhook-dead-letters.ts), never holding back the others.
import { eventPayload } from "../domain/webhook-events";
import { ATTEMPT_TIMEOUT_MS, DISABLE_AFTER_FAILING_MS, MAX_RETRY_AFTER_MS, nextAttemptAt } from "../domain/webhook-schedule";
import { checkWebhookUrl } from "../domain/webhook-url";
import type { Env } from "../env";
import { unseal } from "../lib/sealing";
import { liveReplacedSecrets, readReplacedSecrets } from "../lib/webhook-secrets";
import { queueAttempts, type WebhookMessage } from "./webhook-dispatch";
import { type AttemptOutcome, sendAttempt } from "./webhook-send";

/** How long a claimed attempt is held before a redelivered message may make it again (its worker died). */
const CLAIM_MS = ATTEMPT_TIMEOUT_MS + 45_000;
/** A message may come this much before its delivery is due (clocks differ a little). */
const EARLY_TOLERANCE_MS = 1000;

type DeliveryRow = {
  id: string;
  endpoint_id: string;
  event_id: string;
  status: "pending" | "succeeded" | "failed" | "dead";
  attempt: number;
  next_attempt_at: number | null;
  claimed_until: number | null;
  manual: number;
  created_at: number;
  type: string;
  data: string;
  event_created_at: number;
  url: string;
  endpoint_status: "enabled" | "disabled";
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: number | null;
};

export function parseWebhookMessage(body: unknown): WebhookMessage | null {
  if (typeof body !== "object" || body === null) return null;
  const m = body as Record<string, unknown>;
  if (m.kind !== "webhook_delivery" || typeof m.delivery_id !== "string" || !Number.isInteger(m.attempt) || (m.attempt as number) < 1) return null;
  return { kind: "webhook_delivery", delivery_id: m.delivery_id, attempt: m.attempt as number };
}

const load = (env: Env, id: string) =>
  env.DB.prepare(
    `SELECT d.id, d.endpoint_id, d.event_id, d.status, d.attempt, d.next_attempt_at, d.claimed_until, d.manual, d.created_at,
            e.type, e.data, e.created_at AS event_created_at,
            w.url, w.status AS endpoint_status, w.secret, w.previous_secret, w.previous_secret_expires_at
       FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id JOIN webhook_endpoints w ON w.id = d.endpoint_id
      WHERE d.id = ?`,
  )
    .bind(id)
    .first<DeliveryRow>();

/** Gives up on a delivery without an attempt: its endpoint was disabled, or its URL is no longer allowed. */
function deadStatement(env: Env, row: DeliveryRow, error: string, now: number) {
  return env.DB.prepare(
    "UPDATE webhook_deliveries SET status = 'dead', next_attempt_at = NULL, claimed_until = NULL, error = ?, updated_at = ? WHERE id = ? AND status IN ('pending', 'failed')",
  ).bind(error, now, row.id);
}

/** The live secrets, newest first: the current one, and each replaced one until its own expiry. */
async function liveSecrets(env: Env, row: DeliveryRow, now: number): Promise<string[]> {
  const current = await unseal(env.ENCRYPTION_KEY, row.secret);
  const replaced = await readReplacedSecrets(env.ENCRYPTION_KEY, row.previous_secret, row.previous_secret_expires_at);
  if (current === null || replaced === null) throw new Error(`the secret of ${row.endpoint_id} cannot be unsealed (ENCRYPTION_KEY changed?)`);
  return [current, ...liveReplacedSecrets(replaced, now).map((s) => s.secret)];
}

export type AttemptResult = "missing" | "stale" | "early" | "dead" | AttemptOutcome["kind"];

/** Makes attempt `message.attempt` of the delivery if it is due and nobody made it yet. */
export async function attemptDelivery(env: Env, message: WebhookMessage, timeoutMs = ATTEMPT_TIMEOUT_MS): Promise<AttemptResult> {
  const row = await load(env, message.delivery_id);
  if (!row) return "missing";
  const now = Date.now();
  const n = message.attempt;
  const fresh = row.attempt === n - 1 && row.claimed_until === null;
  const abandoned = row.attempt === n && row.claimed_until !== null && row.claimed_until < now;
  if ((row.status !== "pending" && row.status !== "failed") || (!fresh && !abandoned)) return "stale";
  if (row.next_attempt_at !== null && row.next_attempt_at > now + EARLY_TOLERANCE_MS) {
    // Too early (a Queue message waits at most 12 h): wait again for the rest.
    const seconds = Math.ceil(Math.min(row.next_attempt_at - now, MAX_RETRY_AFTER_MS) / 1000);
    await queueAttempts(env, [message], seconds);
    return "early";
  }
  if (row.endpoint_status !== "enabled") {
    await deadStatement(env, row, "the endpoint is disabled", now).run();
    return "dead";
  }
  const verdict = checkWebhookUrl(row.url, env.ENVIRONMENT);
  if (!verdict.ok) {
    await env.DB.batch([
      deadStatement(env, row, `the URL is not allowed: ${verdict.reason}`, now),
      env.DB.prepare(
        "UPDATE webhook_endpoints SET status = 'disabled', disabled_reason = 'url_not_allowed', updated_at = ? WHERE id = ? AND status = 'enabled'",
      ).bind(now, row.endpoint_id),
    ]);
    return "dead";
  }
  const secrets = await liveSecrets(env, row, now);
  const claimed = await env.DB.prepare(
    `UPDATE webhook_deliveries SET attempt = ?1, claimed_until = ?2, updated_at = ?3
      WHERE id = ?4 AND status IN ('pending', 'failed')
        AND ((attempt = ?1 - 1 AND claimed_until IS NULL) OR (attempt = ?1 AND claimed_until < ?3))`,
  )
    .bind(n, now + CLAIM_MS, now, row.id)
    .run();
  if (claimed.meta.changes !== 1) return "stale";

  const payload = eventPayload({ id: row.event_id, type: row.type, created_at: row.event_created_at, data: row.data });
  const outcome = await sendAttempt({ url: verdict.url.href, eventId: row.event_id, payload, secrets }, timeoutMs);
  await record(env, row, n, outcome);
  return outcome.kind;
}

/** Writes the attempt's outcome, disables the endpoint when §9 says so, and queues the next attempt. */
async function record(env: Env, row: DeliveryRow, n: number, outcome: AttemptOutcome): Promise<void> {
  const now = Date.now();
  const next =
    outcome.kind === "failed" && !row.manual ? nextAttemptAt({ attempt: n, now, startedAt: row.created_at, retryAfterMs: outcome.retryAfterMs }) : null;
  const status = outcome.kind === "succeeded" ? "succeeded" : next === null ? "dead" : "failed";
  const statements = [
    env.DB.prepare(
      `UPDATE webhook_deliveries SET status = ?, response_status = ?, duration_ms = ?, error = ?, next_attempt_at = ?, claimed_until = NULL,
              manual = 0, updated_at = ? WHERE id = ? AND attempt = ?`,
    ).bind(status, outcome.status, outcome.durationMs, outcome.error, next, now, row.id, n),
  ];
  const prepare = env.DB.prepare.bind(env.DB);
  if (outcome.kind === "succeeded") {
    statements.push(prepare("UPDATE webhook_endpoints SET failing_since = NULL WHERE id = ? AND failing_since IS NOT NULL").bind(row.endpoint_id));
  } else if (outcome.kind === "gone") {
    statements.push(
      prepare("UPDATE webhook_endpoints SET status = 'disabled', disabled_reason = 'gone', updated_at = ? WHERE id = ? AND status = 'enabled'").bind(now, row.endpoint_id),
    );
  } else {
    statements.push(
      prepare("UPDATE webhook_endpoints SET failing_since = coalesce(failing_since, ?) WHERE id = ?").bind(now, row.endpoint_id),
      prepare(
        "UPDATE webhook_endpoints SET status = 'disabled', disabled_reason = 'failing', updated_at = ? WHERE id = ? AND status = 'enabled' AND failing_since <= ?",
      ).bind(now, row.endpoint_id, now - DISABLE_AFTER_FAILING_MS),
    );
  }
  if (outcome.kind !== "succeeded") {
    // An endpoint disabled just now (410, or five days of failures) takes its waiting deliveries with it: they
    // are listed as dead at once rather than at their next attempt.
    statements.push(
      prepare(
        `UPDATE webhook_deliveries SET status = 'dead', next_attempt_at = NULL, error = coalesce(error, 'the endpoint was disabled'), updated_at = ?
          WHERE endpoint_id = ? AND status IN ('pending', 'failed') AND claimed_until IS NULL
            AND EXISTS (SELECT 1 FROM webhook_endpoints WHERE id = ? AND status = 'disabled' AND disabled_reason IN ('gone', 'failing'))`,
      ).bind(now, row.endpoint_id, row.endpoint_id),
    );
  }
  await env.DB.batch(statements);
  if (next === null) return;
  try {
    await queueAttempts(env, [{ kind: "webhook_delivery", delivery_id: row.id, attempt: n + 1 }], Math.ceil((next - now) / 1000));
  } catch (err) {
    // The delivery is due in D1 at next_attempt_at: the minute sweep queues it then.
    console.error(JSON.stringify({ level: "error", event: "webhook_queue_failed", delivery_id: row.id, error: err instanceof Error ? err.message : String(err) }));
  }
}

/** Seconds before a message that failed to be handled comes again: 10, 20, 40 … at most 5 minutes. */
export const handlingRetryDelay = (attempts: number) => Math.min(300, 10 * 2 ** Math.max(0, attempts - 1));

export async function consumeWebhooks(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  await Promise.all(
    batch.messages.map(async (message) => {
      const body = parseWebhookMessage(message.body);
      if (!body) {
        console.error(JSON.stringify({ level: "error", event: "webhook_message_malformed", queue: batch.queue, id: message.id }));
        message.ack();
        return;
      }
      try {
        await attemptDelivery(env, body);
        message.ack();
      } catch (err) {
        console.error(
          JSON.stringify({
            level: "error",
            event: "webhook_attempt_failed",
            delivery_id: body.delivery_id,
            attempts: message.attempts,
            error: err instanceof Error ? err.message : String(err),
          }),
        );
        message.retry({ delaySeconds: handlingRetryDelay(message.attempts) });
      }
    }),
  );
}
