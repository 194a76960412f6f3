// Webhook endpoints, the event outbox and deliveries (API.md §9). Times are integer milliseconds since the epoch,
// rendered as RFC 3339 at the API's edge.
import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { teams } from "./accounts";

/**
 * Webhook endpoints (API.md §9). Secrets are sealed (AES-GCM under ENCRYPTION_KEY), never stored in the clear;
 * during a rotation the replaced secret stays live until previous_secret_expires_at. failing_since is when the
 * first attempt failed since the last success: five days of nothing but failures disable the endpoint.
 */
export const webhookEndpoints = sqliteTable(
  "webhook_endpoints",
  {
    id: text("id").primaryKey(),
    teamId: text("team_id").notNull().references(() => teams.id),
    url: text("url").notNull(),
    events: text("events", { mode: "json" }).$type<string[]>().notNull(),
    description: text("description"),
    status: text("status", { enum: ["enabled", "disabled"] }).notNull(),
    disabledReason: text("disabled_reason", { enum: ["gone", "failing", "manual", "url_not_allowed"] }),
    secret: text("secret").notNull(),
    previousSecret: text("previous_secret"),
    previousSecretExpiresAt: integer("previous_secret_expires_at"),
    failingSince: integer("failing_since"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("webhook_endpoints_team_idx").on(t.teamId, t.id)],
);

/**
 * The event outbox: a row is written in the same D1 transaction as the change it reports, so an acknowledged
 * change always has its event and a refused one never does. dispatched_at is set once the event's deliveries
 * exist; endpoint_id names the only endpoint an event goes to (webhook.test), null for every matching endpoint.
 */
export const webhookEvents = sqliteTable(
  "webhook_events",
  {
    id: text("id").primaryKey(),
    teamId: text("team_id").notNull(),
    type: text("type").notNull(),
    data: text("data").notNull(),
    endpointId: text("endpoint_id"),
    createdAt: integer("created_at").notNull(),
    dispatchedAt: integer("dispatched_at"),
  },
  (t) => [
    index("webhook_events_undispatched_idx").on(t.createdAt).where(sql`dispatched_at IS NULL`),
    index("webhook_events_team_idx").on(t.teamId, t.id),
  ],
);

/**
 * One delivery per (event, endpoint): its attempts so far, the last answer, and when the next attempt is due.
 * claimed_until is set while an attempt is in flight, so a redelivered queue message cannot send it twice.
 */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    teamId: text("team_id").notNull(),
    endpointId: text("endpoint_id").notNull(),
    eventId: text("event_id").notNull(),
    eventType: text("event_type").notNull(),
    status: text("status", { enum: ["pending", "succeeded", "failed", "dead"] }).notNull(),
    attempt: integer("attempt").notNull().default(0),
    responseStatus: integer("response_status"),
    durationMs: integer("duration_ms"),
    error: text("error"),
    nextAttemptAt: integer("next_attempt_at"),
    claimedUntil: integer("claimed_until"),
    /** Set by a manual retry: that one attempt is all, a failure makes the delivery dead again. */
    manual: integer("manual", { mode: "boolean" }).notNull().default(false),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("webhook_deliveries_event_endpoint_unique").on(t.eventId, t.endpointId),
    index("webhook_deliveries_endpoint_idx").on(t.endpointId, t.id),
    index("webhook_deliveries_endpoint_status_idx").on(t.endpointId, t.status, t.id),
    index("webhook_deliveries_due_idx").on(t.nextAttemptAt).where(sql`status IN ('pending', 'failed')`),
  ],
);
