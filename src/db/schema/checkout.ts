// What the checkout works on: customers, vouchers and their redemptions, campaigns and bulk jobs, erasures. Times
// are integer milliseconds since the epoch, rendered as RFC 3339 at the API's edge.
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { teams } from "./accounts";

/** Customers are identified by the merchant's own id, unique within a team. */
export const customers = sqliteTable(
  "customers",
  {
    teamId: text("team_id").notNull().references(() => teams.id),
    id: text("id").notNull(),
    metadata: text("metadata", { mode: "json" }).$type<Record<string, string>>().notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.id] })],
);

/**
 * Vouchers. The voucher's Durable Object owns its counters and definition after creation; these rows are the
 * listing copy it keeps up to date (redemptions_count, gift_card_balance, active, expires_at, metadata).
 */
export const vouchers = sqliteTable(
  "vouchers",
  {
    id: text("id").primaryKey(),
    teamId: text("team_id").notNull().references(() => teams.id),
    code: text("code").notNull(),
    campaignId: text("campaign_id"),
    type: text("type", { enum: ["discount", "gift_card"] }).notNull(),
    discount: text("discount", { mode: "json" }).$type<Record<string, unknown> | null>(),
    giftCardAmount: integer("gift_card_amount"),
    giftCardBalance: integer("gift_card_balance"),
    currency: text("currency"),
    redemptionLimit: integer("redemption_limit"),
    perCustomerLimit: integer("per_customer_limit"),
    redemptionsCount: integer("redemptions_count").notNull().default(0),
    /** The voucher object's change number this row shows: a mirror write older than the row is ignored. */
    mirrorVersion: integer("mirror_version").notNull().default(0),
    rules: text("rules", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    startsAt: integer("starts_at"),
    expiresAt: integer("expires_at"),
    active: integer("active", { mode: "boolean" }).notNull(),
    metadata: text("metadata", { mode: "json" }).$type<Record<string, string>>().notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    /** Set on vouchers made by a bulk job, with the chunk that made them: how a redelivered chunk knows what exists. */
    bulkJobId: text("bulk_job_id"),
    bulkChunk: integer("bulk_chunk"),
  },
  (t) => [
    uniqueIndex("vouchers_team_code_unique").on(t.teamId, t.code),
    index("vouchers_bulk_chunk_idx").on(t.bulkJobId, t.bulkChunk),
    index("vouchers_bulk_id_idx").on(t.bulkJobId, t.id),
    index("vouchers_team_id_idx").on(t.teamId, t.id),
    index("vouchers_team_campaign_idx").on(t.teamId, t.campaignId, t.id),
  ],
);

/** Redemption history, written from each voucher object's outbox (retried until it lands). */
export const redemptions = sqliteTable(
  "redemptions",
  {
    id: text("id").primaryKey(),
    teamId: text("team_id").notNull(),
    voucherId: text("voucher_id").notNull(),
    code: text("code").notNull(),
    campaignId: text("campaign_id"),
    customerId: text("customer_id"),
    orderId: text("order_id"),
    order: text("order", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    discountAmount: integer("discount_amount").notNull(),
    currency: text("currency"),
    status: text("status", { enum: ["redeemed", "rolled_back"] }).notNull(),
    createdAt: integer("created_at").notNull(),
    rolledBackAt: integer("rolled_back_at"),
    rollbackReason: text("rollback_reason"),
  },
  (t) => [
    index("redemptions_team_customer_idx").on(t.teamId, t.customerId, t.id),
    index("redemptions_team_voucher_idx").on(t.teamId, t.voucherId, t.id),
    index("redemptions_team_created_idx").on(t.teamId, t.createdAt),
  ],
);

/** Campaigns. Budget spent and campaign-wide customer counts live in the campaign's Durable Object. */
export const campaigns = sqliteTable(
  "campaigns",
  {
    id: text("id").primaryKey(),
    teamId: text("team_id").notNull().references(() => teams.id),
    name: text("name").notNull(),
    type: text("type", { enum: ["discount", "gift_card"] }).notNull(),
    discount: text("discount", { mode: "json" }).$type<Record<string, unknown> | null>(),
    giftCardAmount: integer("gift_card_amount"),
    currency: text("currency"),
    rules: text("rules", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    redemptionLimitPerVoucher: integer("redemption_limit_per_voucher"),
    perCustomerLimit: integer("per_customer_limit"),
    budgetCap: integer("budget_cap"),
    startsAt: integer("starts_at"),
    endsAt: integer("ends_at"),
    paused: integer("paused", { mode: "boolean" }).notNull(),
    /** The campaign object's revision this row mirrors (pause, end date, budget cap): an older one never overwrites it. */
    objectRevision: integer("object_revision").notNull().default(0),
    codePattern: text("code_pattern", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    metadata: text("metadata", { mode: "json" }).$type<Record<string, string>>().notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("campaigns_team_idx").on(t.teamId, t.id)],
);

/** Bulk generation jobs; their codes are the vouchers tagged with bulk_job_id. */
export const bulkJobs = sqliteTable(
  "bulk_jobs",
  {
    id: text("id").primaryKey(),
    teamId: text("team_id").notNull().references(() => teams.id),
    campaignId: text("campaign_id").notNull(),
    count: integer("count").notNull(),
    chunkSize: integer("chunk_size").notNull(),
    codePattern: text("code_pattern", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    status: text("status", { enum: ["queued", "running", "completed", "failed"] }).notNull(),
    error: text("error"),
    createdAt: integer("created_at").notNull(),
    completedAt: integer("completed_at"),
  },
  (t) => [index("bulk_jobs_team_idx").on(t.teamId, t.id)],
);

/**
 * Erased customers (API.md §7): the pseudonym their redemptions carry now, found by a hash of (team, id) — the id
 * itself is kept nowhere. Redemptions of the id made before `erased_at` that reach D1 later (the ledger stream
 * trails the checkout) are renamed on arrival; the id registered again after it is a new customer.
 */
export const customerErasures = sqliteTable(
  "customer_erasures",
  {
    subjectHash: text("subject_hash").notNull(),
    teamId: text("team_id").notNull(),
    pseudonym: text("pseudonym").notNull(),
    erasedAt: integer("erased_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.subjectHash, t.erasedAt] })],
);

/**
 * Which voucher (and its campaign) holds reservations a customer made (API.md §10): reservations live only in
 * the voucher's object, so an erasure finds those objects here as it finds the others by their redemptions.
 * Written by the ledger consumer from each object's `customer_reservation` entries, idempotently: one row per
 * (team, customer, voucher code); `reserved_at` is the latest reservation reported, so an erasure removes only
 * rows whose reservations it renamed (those made before it). A reservation made before its customer's erasure
 * that reaches D1 after it is never recorded: the consumer tells its objects instead.
 */
export const customerReservations = sqliteTable(
  "customer_reservations",
  {
    teamId: text("team_id").notNull(),
    customerId: text("customer_id").notNull(),
    code: text("code").notNull(),
    campaignId: text("campaign_id"),
    reservedAt: integer("reserved_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.customerId, t.code] })],
);
