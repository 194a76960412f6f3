import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

// Times are stored as integer milliseconds since the epoch and rendered as RFC 3339 at the edge of the API.

export const teams = sqliteTable("teams", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  createdAt: integer("created_at").notNull(),
});

export const users = sqliteTable(
  "users",
  {
    id: text("id").primaryKey(),
    email: text("email").notNull(),
    passwordHash: text("password_hash").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [uniqueIndex("users_email_unique").on(t.email)],
);

export const memberships = sqliteTable(
  "memberships",
  {
    teamId: text("team_id").notNull().references(() => teams.id),
    userId: text("user_id").notNull().references(() => users.id),
    role: text("role", { enum: ["owner", "admin", "developer", "viewer"] }).notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.userId] }), index("memberships_user_idx").on(t.userId)],
);

/** A login session: one refresh-token family. Revoking it ends every token of the family and its access tokens. */
export const sessions = sqliteTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    userId: text("user_id").notNull().references(() => users.id),
    createdAt: integer("created_at").notNull(),
    revokedAt: integer("revoked_at"),
    revokedReason: text("revoked_reason"),
  },
  (t) => [index("sessions_user_idx").on(t.userId)],
);

export const refreshTokens = sqliteTable(
  "refresh_tokens",
  {
    id: text("id").primaryKey(),
    sessionId: text("session_id").notNull().references(() => sessions.id),
    tokenHash: text("token_hash").notNull(),
    expiresAt: integer("expires_at").notNull(),
    usedAt: integer("used_at"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [uniqueIndex("refresh_tokens_hash_unique").on(t.tokenHash), index("refresh_tokens_session_idx").on(t.sessionId)],
);

export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    teamId: text("team_id").notNull().references(() => teams.id),
    name: text("name").notNull(),
    type: text("type", { enum: ["secret", "publishable", "agent"] }).notNull(),
    environment: text("environment", { enum: ["staging", "production"] }).notNull(),
    scopes: text("scopes", { mode: "json" }).$type<string[]>().notNull(),
    allowedOrigins: text("allowed_origins", { mode: "json" }).$type<string[]>().notNull(),
    rateLimitPerMinute: integer("rate_limit_per_minute"),
    displayKey: text("display_key").notNull(),
    secretHash: text("secret_hash").notNull(),
    previousSecretHash: text("previous_secret_hash"),
    previousSecretExpiresAt: integer("previous_secret_expires_at"),
    createdBy: text("created_by").notNull(),
    createdAt: integer("created_at").notNull(),
    lastUsedAt: integer("last_used_at"),
    expiresAt: integer("expires_at"),
    revokedAt: integer("revoked_at"),
  },
  (t) => [index("api_keys_team_idx").on(t.teamId, t.id)],
);

/** Origins registered by active publishable keys, so a CORS preflight (which carries no key) can be answered. */
export const apiKeyOrigins = sqliteTable(
  "api_key_origins",
  {
    origin: text("origin").notNull(),
    keyId: text("key_id").notNull().references(() => apiKeys.id),
  },
  (t) => [primaryKey({ columns: [t.origin, t.keyId] }), index("api_key_origins_key_idx").on(t.keyId)],
);

/** Requests that changed state, and denied ones (401 after the key was identified, 403, 429), per credential. */
export const auditLog = sqliteTable(
  "audit_log",
  {
    requestId: text("request_id").primaryKey(),
    teamId: text("team_id"),
    credentialId: text("credential_id").notNull(),
    method: text("method").notNull(),
    path: text("path").notNull(),
    status: integer("status").notNull(),
    agentContext: text("agent_context", { mode: "json" }).$type<Record<string, string | null> | null>(),
    at: integer("at").notNull(),
  },
  (t) => [index("audit_log_credential_idx").on(t.credentialId, t.requestId)],
);

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
