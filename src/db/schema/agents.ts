// Agent approvals and each team's approval policy (API.md §8). Times are integer milliseconds since the epoch,
// rendered as RFC 3339 at the API's edge.
import type { AgentContext } from "../../env";
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { teams } from "./accounts";

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
