// Customers: the merchant's own ids, unique within a team.
import { and, asc, desc, eq, gt, lt } from "drizzle-orm";
import type { ServiceContext } from "../env";
import { ApiError } from "../errors";
import { database, schema } from "../db/client";
import { page } from "../lib/pagination";
import { iso } from "../lib/time";
import type { RedemptionRecord } from "../objects/voucher";
import { renderRedemption } from "./redemptions";
import { requireScope, requireTeam } from "./access";

type CustomerRow = typeof schema.customers.$inferSelect;

export const renderCustomer = (row: CustomerRow) => ({
  id: row.id,
  object: "customer" as const,
  metadata: row.metadata,
  created_at: iso(row.createdAt),
});

export async function createCustomer(ctx: ServiceContext, input: { id: string; metadata?: Record<string, string> }) {
  requireScope(ctx.actor, "write:customers");
  const teamId = requireTeam(ctx.actor);
  await ctx.authorize(teamId, { operation: "create_customer", input });
  const db = database(ctx.env.DB);
  const row: CustomerRow = { teamId, id: input.id, metadata: input.metadata ?? {}, createdAt: Date.now() };
  if (ctx.dryRun) {
    // A preview answers as the real call would, duplicate included, and writes nothing.
    const existing = await db
      .select({ id: schema.customers.id })
      .from(schema.customers)
      .where(and(eq(schema.customers.teamId, teamId), eq(schema.customers.id, input.id)))
      .get();
    if (existing) throw new ApiError("duplicate_customer");
    return renderCustomer(row);
  }
  const inserted = await db.insert(schema.customers).values(row).onConflictDoNothing().run();
  if (inserted.meta.changes !== 1) throw new ApiError("duplicate_customer");
  return renderCustomer(row);
}

/** The team's customer profile, if registered. */
export const customerRow = (ctx: Pick<ServiceContext, "env">, teamId: string, id: string) =>
  database(ctx.env.DB)
    .select()
    .from(schema.customers)
    .where(and(eq(schema.customers.teamId, teamId), eq(schema.customers.id, id)))
    .get();

export async function findCustomer(ctx: ServiceContext, id: string) {
  requireScope(ctx.actor, "read:customers");
  const teamId = requireTeam(ctx.actor);
  const row = await customerRow(ctx, teamId, id);
  if (!row) throw new ApiError("not_found", "No customer with this id.");
  return { teamId, row };
}

export async function getCustomer(ctx: ServiceContext, id: string) {
  const { teamId, row } = await findCustomer(ctx, id);
  const count = await ctx.env.DB.prepare("SELECT count(*) AS n FROM redemptions WHERE team_id = ? AND customer_id = ? AND status = 'redeemed'")
    .bind(teamId, id)
    .first<{ n: number }>();
  return { ...renderCustomer(row), redemptions_count: count?.n ?? 0 };
}

/** Every redemption of the customer, rolled-back ones included, newest first. */
export async function listCustomerRedemptions(ctx: ServiceContext, id: string, query: { limit: number; cursor?: string }) {
  const { teamId } = await findCustomer(ctx, id);
  const rows = await database(ctx.env.DB)
    .select()
    .from(schema.redemptions)
    .where(
      and(
        eq(schema.redemptions.teamId, teamId),
        eq(schema.redemptions.customerId, id),
        query.cursor ? lt(schema.redemptions.id, query.cursor) : undefined,
      ),
    )
    .orderBy(desc(schema.redemptions.id))
    .limit(query.limit + 1);
  return page(rows, query.limit, renderRedemptionRow);
}

type RedemptionRow = typeof schema.redemptions.$inferSelect;

export const renderRedemptionRow = (r: RedemptionRow) =>
  renderRedemption({
    id: r.id,
    voucherId: r.voucherId,
    code: r.code,
    campaignId: r.campaignId,
    customerId: r.customerId,
    order: r.order as RedemptionRecord["order"],
    discountAmount: r.discountAmount,
    currency: r.currency,
    status: r.status,
    createdAt: r.createdAt,
    rolledBackAt: r.rolledBackAt,
    rollbackReason: r.rollbackReason,
  });

/** A page of the customer's redemptions after `afterId`, oldest first (for exports). */
export async function customerRedemptionsAfter(ctx: ServiceContext, teamId: string, id: string, afterId: string | null, limit: number) {
  const t = schema.redemptions;
  return database(ctx.env.DB)
    .select()
    .from(t)
    .where(and(eq(t.teamId, teamId), eq(t.customerId, id), afterId ? gt(t.id, afterId) : undefined))
    .orderBy(asc(t.id))
    .limit(limit);
}
