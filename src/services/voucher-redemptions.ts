// A voucher's redemption history (the dashboard's voucher page), from D1's ledger copy: rolled-back ones included.
import { and, desc, eq, lt } from "drizzle-orm";
import type { ServiceContext } from "../env";
import { database, schema } from "../db/client";
import { page } from "../lib/pagination";
import { requireTeam } from "./access";
import { renderRedemptionRow } from "./customers";
import { getVoucher } from "./vouchers";

/** Newest first. The ledger reaches D1 a moment after the checkout path, so the newest redemption may trail. */
export async function listVoucherRedemptions(ctx: ServiceContext, code: string, query: { limit: number; cursor?: string }) {
  // getVoucher checks read:vouchers and that the code is this team's.
  const voucher = await getVoucher(ctx, code);
  const t = schema.redemptions;
  const rows = await database(ctx.env.DB)
    .select()
    .from(t)
    .where(and(eq(t.teamId, requireTeam(ctx.actor)), eq(t.voucherId, voucher.id), query.cursor ? lt(t.id, query.cursor) : undefined))
    .orderBy(desc(t.id))
    .limit(query.limit + 1);
  return { voucher, redemptions: page(rows, query.limit, renderRedemptionRow) };
}
