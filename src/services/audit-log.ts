import { and, desc, eq, lt } from "drizzle-orm";
import type { AgentContext, ServiceContext } from "../env";
import { ApiError } from "../errors";
import { database, schema } from "../db/client";
import { page } from "../lib/pagination";
import { iso } from "../lib/time";
import { requireKeyType, requireScope, requireTeam } from "./access";

/** A key's audit entries, newest first; the cursor is the request id of the last entry returned. */
export async function listAuditLog(ctx: ServiceContext, keyId: string, query: { limit: number; cursor?: string }) {
  requireKeyType(ctx.actor, ["secret"]);
  requireScope(ctx.actor, "read:api_keys");
  const teamId = requireTeam(ctx.actor);
  const db = database(ctx.env.DB);
  const key = await db
    .select({ id: schema.apiKeys.id })
    .from(schema.apiKeys)
    .where(and(eq(schema.apiKeys.id, keyId), eq(schema.apiKeys.teamId, teamId)))
    .get();
  if (!key) throw new ApiError("not_found", "No API key with this id.");
  // Request ids are time-sortable, so ordering by them is ordering by time.
  const rows = await db
    .select()
    .from(schema.auditLog)
    .where(
      and(
        eq(schema.auditLog.credentialId, keyId),
        eq(schema.auditLog.teamId, teamId),
        query.cursor ? lt(schema.auditLog.requestId, query.cursor) : undefined,
      ),
    )
    .orderBy(desc(schema.auditLog.requestId))
    .limit(query.limit + 1);
  return page(
    rows,
    query.limit,
    (r) => ({
      at: iso(r.at),
      request_id: r.requestId,
      method: r.method,
      path: r.path,
      status: r.status,
      agent_context: (r.agentContext as AgentContext | null) ?? null,
      approval_id: r.approvalId,
      decided_by: r.decidedBy,
    }),
    (r) => r.requestId,
  );
}
