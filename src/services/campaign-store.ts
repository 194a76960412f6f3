// How a campaign is rendered and how its live state is derived, in one place.
import { type SQL, sql } from "drizzle-orm";
import { schema } from "../db/client";
import type { CodePattern } from "../lib/code-pattern";
import { iso } from "../lib/time";
import type { CampaignState, CampaignStats } from "../objects/campaign";

export type CampaignRow = typeof schema.campaigns.$inferSelect;
export type CampaignStatus = "active" | "paused" | "scheduled" | "ended";

export function campaignStatus(c: { paused: boolean; startsAt: number | null; endsAt: number | null }, now = Date.now()): CampaignStatus {
  if (c.endsAt !== null && now >= c.endsAt) return "ended";
  if (c.paused) return "paused";
  if (c.startsAt !== null && now < c.startsAt) return "scheduled";
  return "active";
}

/** The same rule as SQL, to filter lists in D1. */
export function statusWhere(status: CampaignStatus, now = Date.now()): SQL {
  const c = schema.campaigns;
  const running = sql`(${c.endsAt} IS NULL OR ${c.endsAt} > ${now})`;
  switch (status) {
    case "ended":
      return sql`(${c.endsAt} IS NOT NULL AND ${c.endsAt} <= ${now})`;
    case "paused":
      return sql`${running} AND ${c.paused} = 1`;
    case "scheduled":
      return sql`${running} AND ${c.paused} = 0 AND ${c.startsAt} IS NOT NULL AND ${c.startsAt} > ${now}`;
    case "active":
      return sql`${running} AND ${c.paused} = 0 AND (${c.startsAt} IS NULL OR ${c.startsAt} <= ${now})`;
  }
}

export function campaignState(row: CampaignRow): CampaignState {
  return {
    id: row.id,
    teamId: row.teamId,
    paused: row.paused,
    startsAt: row.startsAt,
    endsAt: row.endsAt,
    budgetCap: row.budgetCap,
    perCustomerLimit: row.perCustomerLimit,
    revision: row.objectRevision,
  };
}

export function renderCampaign(row: CampaignRow) {
  return {
    id: row.id,
    object: "campaign" as const,
    name: row.name,
    status: campaignStatus(row),
    type: row.type,
    discount: row.discount,
    gift_card: row.type === "gift_card" ? { amount: row.giftCardAmount ?? 0 } : null,
    currency: row.currency,
    rules: row.rules,
    redemption_limit_per_voucher: row.redemptionLimitPerVoucher,
    per_customer_limit: row.perCustomerLimit,
    budget_cap: row.budgetCap === null ? null : { amount: row.budgetCap },
    starts_at: iso(row.startsAt),
    ends_at: iso(row.endsAt),
    code_pattern: row.codePattern as CodePattern,
    metadata: row.metadata,
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
  };
}

export function renderStats(stats: CampaignStats, vouchers: { total: number; redeemed: number }) {
  return {
    vouchers_count: vouchers.total,
    vouchers_redeemed_count: vouchers.redeemed,
    redemptions_count: stats.redemptionsCount,
    discount_total: stats.discountTotal,
    budget_remaining: stats.budgetRemaining,
  };
}
