// The dispatcher: moves outbox events to deliveries, one per (event, enabled endpoint of the event's team that
// subscribes to its type and existed when it happened), and queues each delivery's first attempt. Events of a team
// never reach another team's endpoints: endpoints are matched by the event's team_id only.
// Idempotent: deliveries are unique per (event, endpoint), so a dispatch that runs twice (after the response and
// from the sweep) creates each once; a queue message sent twice makes one attempt (src/queues/webhooks.ts claims
// the attempt). Nothing is lost: an event stays undispatched until its deliveries are written, and a delivery
// whose message never arrived is due in D1, where the minute sweep finds it and queues it again.
import { subscribes } from "../domain/webhook-events";
import type { Env } from "../env";
import { newId } from "../lib/ids";
import { jsonChunks, jsonColumns, type Row } from "../lib/json-rows";

export type WebhookMessage = { kind: "webhook_delivery"; delivery_id: string; attempt: number };

/** Events per dispatch round. */
const EVENTS_PER_ROUND = 100;
/** A due delivery is queued again by the sweep once it is this late: its message was lost, or is about to be. */
export const SWEEP_GRACE_MS = 60_000;
const SWEEP_MAX_DELIVERIES = 500;

type PendingEvent = { id: string; team_id: string; type: string; endpoint_id: string | null; created_at: number };
type Endpoint = { id: string; team_id: string; events: string; created_at: number };

const DELIVERY_COLUMNS = ["id", "team_id", "endpoint_id", "event_id", "event_type", "created_at"] as const;

export async function queueAttempts(env: Env, messages: readonly WebhookMessage[], delaySeconds = 0): Promise<void> {
  for (let i = 0; i < messages.length; i += 100) {
    await env.WEBHOOK_QUEUE.sendBatch(messages.slice(i, i + 100).map((body) => ({ body, ...(delaySeconds > 0 ? { delaySeconds } : {}) })));
  }
}

/** Dispatches the given undispatched events, or the oldest ones; returns how many events it dispatched. */
export async function dispatchEvents(env: Env, eventIds?: readonly string[], now = Date.now()): Promise<number> {
  const select = "SELECT id, team_id, type, endpoint_id, created_at FROM webhook_events WHERE dispatched_at IS NULL";
  const { results: events } = eventIds
    ? await env.DB.prepare(`${select} AND id IN (SELECT value FROM json_each(?))`).bind(JSON.stringify(eventIds)).all<PendingEvent>()
    : await env.DB.prepare(`${select} ORDER BY created_at LIMIT ${EVENTS_PER_ROUND}`).all<PendingEvent>();
  if (events.length === 0) return 0;
  const teams = [...new Set(events.map((e) => e.team_id))];
  const { results: endpoints } = await env.DB.prepare(
    "SELECT id, team_id, events, created_at FROM webhook_endpoints WHERE status = 'enabled' AND team_id IN (SELECT value FROM json_each(?))",
  )
    .bind(JSON.stringify(teams))
    .all<Endpoint>();

  const rows: Row[] = [];
  for (const event of events) {
    for (const endpoint of endpoints) {
      if (endpoint.team_id !== event.team_id || endpoint.created_at > event.created_at) continue;
      const wanted = event.endpoint_id ? endpoint.id === event.endpoint_id : subscribes(JSON.parse(endpoint.events) as string[], event.type);
      if (wanted) rows.push([newId("dlv"), event.team_id, endpoint.id, event.id, event.type, now]);
    }
  }
  const insert = `INSERT OR IGNORE INTO webhook_deliveries (${DELIVERY_COLUMNS.join(", ")}, status, attempt, next_attempt_at, updated_at)
    SELECT ${DELIVERY_COLUMNS.join(", ")}, 'pending', 0, created_at, created_at FROM (SELECT ${jsonColumns(DELIVERY_COLUMNS)} FROM json_each(?1))
    RETURNING id`;
  const statements = jsonChunks(rows).map((json) => env.DB.prepare(insert).bind(json));
  statements.push(
    env.DB.prepare("UPDATE webhook_events SET dispatched_at = ? WHERE dispatched_at IS NULL AND id IN (SELECT value FROM json_each(?))").bind(
      now,
      JSON.stringify(events.map((e) => e.id)),
    ),
  );
  const results = await env.DB.batch<{ id: string }>(statements);
  // Only the deliveries this dispatch created: another one that got there first queued its own.
  const created = results.slice(0, -1).flatMap((r) => r.results.map((row) => row.id));
  try {
    await queueAttempts(env, created.map((id) => ({ kind: "webhook_delivery", delivery_id: id, attempt: 1 })));
  } catch (err) {
    // They are due in D1: the sweep queues them within a couple of minutes.
    console.error(JSON.stringify({ level: "error", event: "webhook_queue_failed", deliveries: created.length, error: err instanceof Error ? err.message : String(err) }));
  }
  return events.length;
}

/**
 * The minute sweep (src/index.ts scheduled): dispatches what no request dispatched (its waitUntil died), and
 * queues again every delivery that is due and unclaimed but late by more than SWEEP_GRACE_MS (its message lost).
 */
export async function sweepWebhooks(env: Env, now = Date.now()): Promise<{ events: number; requeued: number }> {
  let events = 0;
  for (let round = 0; round < 10; round++) {
    const n = await dispatchEvents(env, undefined, now);
    events += n;
    if (n < EVENTS_PER_ROUND) break;
  }
  const { results: due } = await env.DB.prepare(
    `SELECT id, attempt, claimed_until FROM webhook_deliveries
      WHERE status IN ('pending', 'failed') AND next_attempt_at <= ? AND (claimed_until IS NULL OR claimed_until < ?)
      ORDER BY next_attempt_at LIMIT ${SWEEP_MAX_DELIVERIES}`,
  )
    .bind(now - SWEEP_GRACE_MS, now)
    .all<{ id: string; attempt: number; claimed_until: number | null }>();
  // An attempt claimed but never recorded (its worker died) is made again under the same number.
  await queueAttempts(env, due.map((d) => ({ kind: "webhook_delivery", delivery_id: d.id, attempt: d.claimed_until === null ? d.attempt + 1 : d.attempt })));
  return { events, requeued: due.length };
}

/** Dispatches now, never throwing: a failure is logged and left to the sweep. */
export async function dispatchSafely(env: Env, eventIds?: readonly string[]): Promise<void> {
  try {
    await dispatchEvents(env, eventIds);
  } catch (err) {
    console.error(JSON.stringify({ level: "error", event: "webhook_dispatch_failed", error: err instanceof Error ? err.message : String(err) }));
  }
}
