// A webhook endpoint's deliveries (API.md §9): one per event sent to it, with its attempts so far, the last
// answer and when the next attempt is due; and the manual retry of a dead one.
import { and, desc, eq, lt } from "drizzle-orm";
import { database, schema } from "../db/client";
import type { ServiceContext } from "../env";
import { ApiError } from "../errors";
import { page } from "../lib/pagination";
import { iso } from "../lib/time";
import { requireScope, requireTeam } from "./access";
import { queueAttempts } from "../queues/webhook-dispatch";
import { findEndpoint } from "./webhooks";

type DeliveryRow = typeof schema.webhookDeliveries.$inferSelect;
export type DeliveryStatus = DeliveryRow["status"];

export function renderDelivery(row: DeliveryRow) {
  return {
    id: row.id,
    object: "webhook_delivery" as const,
    webhook_id: row.endpointId,
    event_id: row.eventId,
    event_type: row.eventType,
    attempt: row.attempt,
    status: row.status,
    response_status: row.responseStatus,
    duration_ms: row.durationMs,
    error: row.error,
    next_attempt_at: row.status === "pending" || row.status === "failed" ? iso(row.nextAttemptAt) : null,
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
  };
}

export async function listDeliveries(ctx: ServiceContext, webhookId: string, query: { status?: DeliveryStatus; limit: number; cursor?: string }) {
  requireScope(ctx.actor, "read:webhooks");
  const teamId = requireTeam(ctx.actor);
  const endpoint = await findEndpoint(ctx, teamId, webhookId);
  const t = schema.webhookDeliveries;
  const rows = await database(ctx.env.DB)
    .select()
    .from(t)
    .where(
      and(
        eq(t.endpointId, endpoint.id),
        eq(t.teamId, teamId),
        query.status ? eq(t.status, query.status) : undefined,
        query.cursor ? lt(t.id, query.cursor) : undefined,
      ),
    )
    .orderBy(desc(t.id))
    .limit(query.limit + 1);
  return page(rows, query.limit, renderDelivery);
}

/** Redelivers a dead delivery now: one attempt, signed afresh; if it fails, the delivery is dead again. */
export async function retryDelivery(ctx: ServiceContext, webhookId: string, deliveryId: string) {
  requireScope(ctx.actor, "write:webhooks");
  const teamId = requireTeam(ctx.actor);
  const endpoint = await findEndpoint(ctx, teamId, webhookId);
  const t = schema.webhookDeliveries;
  const db = database(ctx.env.DB);
  const row = await db.select().from(t).where(and(eq(t.id, deliveryId), eq(t.endpointId, endpoint.id), eq(t.teamId, teamId))).get();
  if (!row) throw new ApiError("not_found", "No delivery with this id for this webhook endpoint.");
  // Before the state checks: an Idempotency-Key replay answers what the first call did, though that changed the state.
  await ctx.authorize(teamId, { operation: "retry_webhook_delivery", params: { id: webhookId, delivery_id: deliveryId } });
  if (row.status !== "dead") throw new ApiError("delivery_not_dead", `This delivery is ${row.status}: only a dead delivery can be retried.`);
  if (endpoint.status !== "enabled") throw new ApiError("webhook_disabled");
  const now = Date.now();
  const retried = await db
    .update(t)
    .set({ status: "pending", manual: true, nextAttemptAt: now, claimedUntil: null, error: null, updatedAt: now })
    .where(and(eq(t.id, row.id), eq(t.status, "dead")))
    .run();
  if (retried.meta.changes !== 1) throw new ApiError("delivery_not_dead", "This delivery is being retried already.");
  try {
    await queueAttempts(ctx.env, [{ kind: "webhook_delivery", delivery_id: row.id, attempt: row.attempt + 1 }]);
  } catch (err) {
    // Due now in D1: the minute sweep queues it.
    console.error(JSON.stringify({ level: "error", event: "webhook_queue_failed", delivery_id: row.id, error: err instanceof Error ? err.message : String(err) }));
  }
  return renderDelivery({ ...row, status: "pending", manual: true, nextAttemptAt: now, claimedUntil: null, error: null, updatedAt: now });
}
