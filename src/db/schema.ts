import type { AgentContext } from "../env";
import { sql } from "drizzle-orm";
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
    /** On an agent's action run from an approval: the approval, and the human (user or secret key) who approved it. */
    approvalId: text("approval_id"),
    decidedBy: text("decided_by"),
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

/** Agent requests held for a human (API.md §8): the request whole, then the decision and what running it answered. */
export const agentApprovals = sqliteTable(
  "agent_approvals",
  {
    id: text("id").primaryKey(),
    teamId: text("team_id").notNull().references(() => teams.id),
    status: text("status", { enum: ["pending_approval", "approved", "executed", "failed", "rejected", "expired"] }).notNull(),
    operation: text("operation").notNull(),
    method: text("method").notNull(),
    path: text("path").notNull(),
    /** The body as the agent sent it (shown), and the validated input with path parameters the replay runs with. */
    body: text("body", { mode: "json" }).$type<unknown>(),
    params: text("params", { mode: "json" }).$type<Record<string, string>>().notNull(),
    input: text("input", { mode: "json" }).$type<unknown>(),
    idempotencyKey: text("idempotency_key"),
    agentKeyId: text("agent_key_id").notNull(),
    agentContext: text("agent_context", { mode: "json" }).$type<AgentContext | null>(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    decidedBy: text("decided_by"),
    decidedAt: integer("decided_at"),
    reason: text("reason"),
    executionResult: text("execution_result", { mode: "json" }).$type<{ status: number; body: unknown } | null>(),
  },
  (t) => [
    index("agent_approvals_team_idx").on(t.teamId, t.id),
    index("agent_approvals_pending_idx").on(t.status, t.expiresAt),
  ],
);

/** A team's approval policy for agent keys; a team without a row has the defaults of API.md §8. */
export const approvalPolicies = sqliteTable("approval_policies", {
  teamId: text("team_id").primaryKey().references(() => teams.id),
  rules: text("rules", { mode: "json" }).$type<Record<string, "execute" | "approve">>().notNull(),
  ttlSeconds: integer("ttl_seconds").notNull(),
  updatedAt: integer("updated_at").notNull(),
  updatedBy: text("updated_by").notNull(),
});

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
