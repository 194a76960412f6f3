// How long webhook history is kept: deliveries that reached their end (succeeded, or dead and not retried) and
// events with no delivery left are deleted once they are RETAIN_DAYS old, a bounded slice per minute sweep, so
// the tables stop growing with traffic. Ids are time-sortable, so the age bound is a range on the primary key.
import type { Env } from "../env";
import { idAt } from "../lib/ids";

export const RETAIN_DAYS = 30;
const RETAIN_MS = RETAIN_DAYS * 24 * 60 * 60 * 1000;
/** Rows deleted per table and sweep: a large backlog drains over several minutes, never in one long transaction. */
const PRUNE_LIMIT = 500;

export async function pruneWebhookHistory(env: Env, now = Date.now()): Promise<{ deliveries: number; events: number }> {
  const before = now - RETAIN_MS;
  const [deliveries, events] = await env.DB.batch([
    env.DB.prepare(
      `DELETE FROM webhook_deliveries WHERE id IN (
         SELECT id FROM webhook_deliveries WHERE id < ? AND status IN ('succeeded', 'dead') AND updated_at < ? LIMIT ${PRUNE_LIMIT})`,
    ).bind(idAt("dlv", before), before),
    // After the deliveries: an event goes once none of its deliveries is left (and it was dispatched at all).
    env.DB.prepare(
      `DELETE FROM webhook_events WHERE id IN (
         SELECT e.id FROM webhook_events e WHERE e.id < ? AND e.dispatched_at IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id) LIMIT ${PRUNE_LIMIT})`,
    ).bind(idAt("evt", before)),
  ]);
  return { deliveries: deliveries?.meta.changes ?? 0, events: events?.meta.changes ?? 0 };
}
