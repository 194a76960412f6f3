// Tenancy and credentials: teams, dashboard users and their sessions, API keys, the audit log. Times are integer
// milliseconds since the epoch, rendered as RFC 3339 at the API's edge.
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

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
    /** The key object's revision this row's secrets mirror: a rotation's write never overwrites a later one's. */
    stateRevision: integer("state_revision").notNull().default(0),
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
