// The webhook queue's dead-letter queue: messages the consumer failed to handle on every one of its retries (not
// deliveries that failed at the receiver: those follow the schedule). The delivery each names is marked `dead`,
// so it is listed and can be retried by hand once the cause is fixed, rather than being queued again by the sweep
// forever. If D1 cannot take that, the batch is retried; every delivery logs one `webhook_dead_letters` line.
import type { Env } from "../env";
import { parseWebhookMessage } from "./webhooks";

export const WEBHOOK_DEAD_LETTER_RETRY_S = 300;

export async function drainWebhookDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const ids = batch.messages.map((m) => parseWebhookMessage(m.body)?.delivery_id).filter((id): id is string => id !== undefined);
  const now = Date.now();
  try {
    if (ids.length > 0) {
      await env.DB.prepare(
        `UPDATE webhook_deliveries SET status = 'dead', next_attempt_at = NULL, claimed_until = NULL, updated_at = ?,
                error = 'the attempt could not be made (see the webhook_attempt_failed logs); retry it by hand once fixed'
          WHERE status IN ('pending', 'failed') AND id IN (SELECT value FROM json_each(?))`,
      )
        .bind(now, JSON.stringify(ids))
        .run();
    }
    batch.ackAll();
    console.error(JSON.stringify({ level: "error", event: "webhook_dead_letters", queue: batch.queue, received: batch.messages.length, delivery_ids: ids }));
  } catch (err) {
    batch.retryAll({ delaySeconds: WEBHOOK_DEAD_LETTER_RETRY_S });
    console.error(
      JSON.stringify({
        level: "error",
        event: "webhook_dead_letters",
        queue: batch.queue,
        received: batch.messages.length,
        retry_in_s: WEBHOOK_DEAD_LETTER_RETRY_S,
        error: err instanceof Error ? err.message : String(err),
      }),
    );
  }
}
