// The statements that put events in D1's webhook outbox (API.md §9), for the caller's own db.batch beside the
// change they report: services, queue consumers and Durable Objects share them (services/webhook-outbox.ts says
// how the outbox is drained).
import type { WebhookEvent } from "../domain/webhook-events";
import { type Cell, jsonChunks, jsonColumns } from "../lib/json-rows";

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

