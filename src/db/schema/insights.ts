// What the ledger stream and the detectors keep for reading: rollups, validation totals, fraud, parked messages.
// Times are integer milliseconds since the epoch, rendered as RFC 3339 at the API's edge.
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/**
 * Redemption rollups per (team, campaign, hour of the redemption): kept by the ledger consumer in the same
 * transaction as the redemption rows, each entry applied once. `redemptions` counts all made in the hour,
 * `rolled_back` those of them rolled back since, `discount_total` sums the standing ones. `campaign_id` is ''
 * for vouchers outside campaigns.
 */
export const redemptionRollups = sqliteTable(
  "redemption_rollups",
  {
    teamId: text("team_id").notNull(),
    campaignId: text("campaign_id").notNull(),
    hour: integer("hour").notNull(),
    redemptions: integer("redemptions").notNull(),
    rolledBack: integer("rolled_back").notNull(),
    discountTotal: integer("discount_total").notNull(),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.campaignId, t.hour] })],
);

/** Fraud alerts (API.md §7): one per (team, type, subject, window), its count and last sighting kept current. */
export const fraudAlerts = sqliteTable(
  "fraud_alerts",
  {
    id: text("id").primaryKey(),
    teamId: text("team_id").notNull(),
    type: text("type", { enum: ["customer_velocity", "code_enumeration", "redemption_failure_burst"] }).notNull(),
    severity: text("severity", { enum: ["low", "medium", "high"] }).notNull(),
    subject: text("subject").notNull(),
    windowStart: integer("window_start").notNull(),
    windowSeconds: integer("window_seconds").notNull(),
    count: integer("count").notNull(),
    firstSeen: integer("first_seen").notNull(),
    lastSeen: integer("last_seen").notNull(),
  },
  (t) => [
    uniqueIndex("fraud_alerts_window_idx").on(t.teamId, t.type, t.subject, t.windowStart),
    index("fraud_alerts_team_seen_idx").on(t.teamId, t.lastSeen),
  ],
);

/** A team's fraud thresholds; a team without a row has the defaults (src/domain/fraud.ts). */
export const fraudSettings = sqliteTable("fraud_settings", {
  teamId: text("team_id").primaryKey(),
  settings: text("settings", { mode: "json" }).$type<Record<string, { count: number; window_seconds: number }>>().notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/**
 * Validations each voucher answered per hour (`hour`: the hour's start, ms). Written from the ledger stream: each
 * voucher object sends its running totals for the hour, and the larger total wins, so a repeated message adds nothing.
 */
export const voucherValidations = sqliteTable(
  "voucher_validations",
  {
    teamId: text("team_id").notNull(),
    voucherId: text("voucher_id").notNull(),
    hour: integer("hour").notNull(),
    validations: integer("validations").notNull(),
    valid: integer("valid").notNull(),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.voucherId, t.hour] })],
);

/**
 * Ledger messages the dead-letter consumer could not write after its retries while D1 was answering: kept here,
 * whole, to be seen and replayed (README.md "The ledger stream"), rather than retried forever.
 */
export const ledgerDeadLetters = sqliteTable("ledger_dead_letters", {
  messageId: text("message_id").primaryKey(),
  source: text("source"),
  body: text("body").notNull(),
  error: text("error").notNull(),
  attempts: integer("attempts").notNull(),
  parkedAt: integer("parked_at").notNull(),
});
