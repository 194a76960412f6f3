// Listing vouchers from D1's listing copy: filters, cursor pages, and a streamed CSV export.
import type { ServiceContext } from "../env";
import { escapeLike } from "../lib/codes";
import { csvStream } from "../lib/csv";
import { page } from "../lib/pagination";
import { requireScope, requireTeam } from "./access";
import { definitionFromRow } from "../db/voucher-rows";
import { renderVoucher } from "./vouchers";

export type VoucherFilters = {
  campaign_id?: string;
  status?: "active" | "inactive" | "expired" | "exhausted";
  code_prefix?: string;
  created_after?: string;
  created_before?: string;
};

export const EXHAUSTED = "((redemption_limit IS NOT NULL AND redemptions_count >= redemption_limit) OR (type = 'gift_card' AND gift_card_balance <= 0))";

function whereClause(teamId: string, f: VoucherFilters, now: number): { sql: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, ...values: unknown[]) => {
    parts.push(sql);
    params.push(...values);
  };
  add("team_id = ?", teamId);
  if (f.campaign_id) add("campaign_id = ?", f.campaign_id);
  if (f.code_prefix) add("code LIKE ? ESCAPE '\\'", `${escapeLike(f.code_prefix.toUpperCase())}%`);
  if (f.created_after) add("created_at > ?", Date.parse(f.created_after));
  if (f.created_before) add("created_at < ?", Date.parse(f.created_before));
  if (f.status === "inactive") add("active = 0");
  if (f.status === "expired") add("expires_at IS NOT NULL AND expires_at <= ?", now);
  if (f.status === "exhausted") add(EXHAUSTED);
  if (f.status === "active") add(`active = 1 AND (expires_at IS NULL OR expires_at > ?) AND NOT ${EXHAUSTED}`, now);
  return { sql: parts.join(" AND "), params };
}

async function fetchVouchers(ctx: ServiceContext, teamId: string, filters: VoucherFilters, before: string | undefined, limit: number) {
  const where = whereClause(teamId, filters, Date.now());
  const cursor = before ? " AND id < ?" : "";
  const { results } = await ctx.env.DB.prepare(`SELECT * FROM vouchers WHERE ${where.sql}${cursor} ORDER BY id DESC LIMIT ?`)
    .bind(...where.params, ...(before ? [before] : []), limit)
    .all<Record<string, unknown>>();
  return results;
}

export async function listVouchers(ctx: ServiceContext, query: VoucherFilters & { limit: number; cursor?: string }) {
  requireScope(ctx.actor, "read:vouchers");
  const teamId = requireTeam(ctx.actor);
  const rows = await fetchVouchers(ctx, teamId, query, query.cursor, query.limit + 1);
  return page(rows, query.limit, (row) => renderVoucher(definitionFromRow(row)), (row) => String(row.id));
}

const CSV_COLUMNS = [
  "id", "code", "campaign_id", "type", "discount_type", "percent_off", "amount_off", "max_discount_amount", "gift_card_amount",
  "gift_card_balance", "currency", "redemption_limit", "per_customer_limit", "redemptions_count", "starts_at", "expires_at",
  "active", "created_at",
];
const CSV_PAGE = 500;

export function exportVouchersCsv(ctx: ServiceContext, filters: VoucherFilters): ReadableStream<Uint8Array> {
  requireScope(ctx.actor, "read:vouchers");
  const teamId = requireTeam(ctx.actor);
  return csvStream(
    CSV_COLUMNS,
    (after: Record<string, unknown> | null) => fetchVouchers(ctx, teamId, filters, after ? String(after.id) : undefined, CSV_PAGE),
    (row) => {
      const v = renderVoucher(definitionFromRow(row));
      const d = (v.discount ?? {}) as Record<string, unknown>;
      return [
        v.id, v.code, v.campaign_id, v.type, d.type ?? null, d.percent_off ?? null, d.amount_off ?? null, d.max_discount_amount ?? null,
        v.gift_card?.amount ?? null, v.gift_card?.balance ?? null, v.currency, v.redemption_limit, v.per_customer_limit,
        v.redemptions_count, v.starts_at, v.expires_at, v.active, v.created_at,
      ];
    },
  );
}
