// Customers: the merchant's own ids, unique within a team.
import { and, eq } from "drizzle-orm";
import type { ServiceContext } from "../env";
import { ApiError } from "../errors";
import { database, schema } from "../db/client";
import { iso } from "../lib/time";
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
