// The event outbox (API.md §9): an event row is written in the same D1 transaction as the change it reports, by
// the service (or queue consumer) that makes the change. So an acknowledged change always has its event, and a
// change that did not happen (a dry run, a refused call, a lost race) never does. Delivery starts right after the
// write (waitUntil) and, should that be lost, from the minute sweep (./webhook-dispatch.ts).
import type { WebhookEvent } from "../domain/webhook-events";
import type { ServiceContext } from "../env";
import { type Cell, jsonChunks, jsonColumns } from "../lib/json-rows";
import { dispatchEvents } from "./webhook-dispatch";

/**
 * An SQL condition on the event's write, evaluated in the same transaction; `ev.id`, `ev.team_id`, `ev.type`,
 * `ev.data` (JSON text), `ev.endpoint_id` and `ev.created_at` name the event's columns, `?` binds `params`.
 */
export type EventGuard = { sql: string; params?: Cell[] };

const COLUMNS = ["id", "team_id", "type", "data", "endpoint_id", "created_at"] as const;

/**
 * Statements that write `events` to the outbox, for the caller's own db.batch beside its change: one statement
 * per chunk of rows (read from one JSON parameter), INSERT OR IGNORE by event id, so writing the same events twice
 * (a redelivered message) leaves one row each. With `onlyIf`, put the statements just before the change and test
 * the state it changes from: the event is then written exactly when the change is.
 */
export function eventStatements(db: D1Database, events: readonly WebhookEvent[], onlyIf?: EventGuard): D1PreparedStatement[] {
  const rows = events.map((e) => [e.id, e.team_id, e.type, JSON.stringify(e.data), e.endpoint_id, e.created_at]);
  const sql = `INSERT OR IGNORE INTO webhook_events (${COLUMNS.join(", ")})
    SELECT ${COLUMNS.map((c) => `ev.${c}`).join(", ")} FROM (SELECT ${jsonColumns(COLUMNS)} FROM json_each(?1)) AS ev
    WHERE ${onlyIf?.sql ?? "true"}`;
  return jsonChunks(rows).map((json) => db.prepare(sql).bind(json, ...(onlyIf?.params ?? [])));
}

/** Starts delivering the events once the response is sent; the minute sweep catches what this misses. */
export function dispatchAfterResponse(ctx: Pick<ServiceContext, "env" | "waitUntil">, events: readonly WebhookEvent[]): void {
  if (events.length === 0) return;
  ctx.waitUntil(dispatchSafely(ctx.env, events.map((e) => e.id)));
}

/** Dispatches now, never throwing: a failure is logged and left to the sweep. */
export async function dispatchSafely(env: ServiceContext["env"], eventIds?: readonly string[]): Promise<void> {
  try {
    await dispatchEvents(env, eventIds);
  } catch (err) {
    console.error(JSON.stringify({ level: "error", event: "webhook_dispatch_failed", error: err instanceof Error ? err.message : String(err) }));
  }
}
