// Analytics (API.md §7): the overview and a campaign's time series, read from rollups the checkout path keeps —
// redemption_rollups (per team, campaign and hour, written by the ledger consumer with the redemptions) and
// voucher_validations (each voucher object's hourly validation totals). Windows are whole UTC hours: `from` is
// taken down to its hour and `to` up to the next one. Exact once the ledger stream has landed (a few seconds).
import type { ServiceContext } from "../env";
import { ApiError } from "../errors";
import { iso } from "../lib/time";
import { requireScope, requireTeam, timeWindow } from "./access";
import { findCampaign } from "./campaigns";
import { EXHAUSTED } from "./voucher-list";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

type Totals = { redemptions: number; rolled_back: number; discount_total: number; validations: number; valid: number };

/** The window in whole hours, as the rollups key them (the millisecond an hour starts). */
function hours(query: { from?: string; to?: string }) {
  const { from, to } = timeWindow(query);
  const start = Math.floor(from / HOUR) * HOUR;
  const end = to >= Number.MAX_SAFE_INTEGER ? Number.MAX_SAFE_INTEGER : Math.ceil(to / HOUR) * HOUR;
  return { start, end };
}

const rate = (standing: number, valid: number) => (valid === 0 ? 0 : Math.round((standing / valid) * 10_000) / 10_000);

export async function analyticsOverview(ctx: ServiceContext, query: { from?: string; to?: string }) {
  requireScope(ctx.actor, "read:analytics");
  const teamId = requireTeam(ctx.actor);
  const { start, end } = hours(query);
  const now = Date.now();
  const db = ctx.env.DB;
  const [campaigns, vouchers, redemptions, validations] = await db.batch<Record<string, number | null>>([
    db
      .prepare(
        `SELECT count(*) AS total,
           sum(CASE WHEN paused = 0 AND (ends_at IS NULL OR ends_at > ?2) AND (starts_at IS NULL OR starts_at <= ?2) THEN 1 ELSE 0 END) AS active,
           sum(CASE WHEN paused = 1 AND (ends_at IS NULL OR ends_at > ?2) THEN 1 ELSE 0 END) AS paused
         FROM campaigns WHERE team_id = ?1`,
      )
      .bind(teamId, now),
    db
      .prepare(
        `SELECT count(*) AS total,
           sum(CASE WHEN active = 1 AND (expires_at IS NULL OR expires_at > ?2) AND NOT ${EXHAUSTED} THEN 1 ELSE 0 END) AS active
         FROM vouchers WHERE team_id = ?1`,
      )
      .bind(teamId, now),
    db
      .prepare(
        `SELECT coalesce(sum(redemptions), 0) AS redemptions, coalesce(sum(rolled_back), 0) AS rolled_back, coalesce(sum(discount_total), 0) AS discount_total
         FROM redemption_rollups WHERE team_id = ? AND hour >= ? AND hour < ?`,
      )
      .bind(teamId, start, end),
    db
      .prepare("SELECT coalesce(sum(validations), 0) AS validations, coalesce(sum(valid), 0) AS valid FROM voucher_validations WHERE team_id = ? AND hour >= ? AND hour < ?")
      .bind(teamId, start, end),
  ]);
  const c = campaigns!.results[0] ?? {};
  const v = vouchers!.results[0] ?? {};
  const r = redemptions!.results[0] ?? {};
  const val = validations!.results[0] ?? {};
  const standing = Number(r.redemptions ?? 0) - Number(r.rolled_back ?? 0);
  const valid = Number(val.valid ?? 0);
  return {
    object: "analytics_overview" as const,
    from: start > 0 ? iso(start) : null,
    to: end < Number.MAX_SAFE_INTEGER ? iso(end) : null,
    campaigns: { total: Number(c.total ?? 0), active: Number(c.active ?? 0), paused: Number(c.paused ?? 0) },
    vouchers: { total: Number(v.total ?? 0), active: Number(v.active ?? 0) },
    redemptions: { count: standing, rolled_back: Number(r.rolled_back ?? 0) },
    discount_total: Number(r.discount_total ?? 0),
    validations: { count: Number(val.validations ?? 0), valid, invalid: Number(val.validations ?? 0) - valid },
    redemption_rate: rate(standing, valid),
  };
}

type SeriesPoint = { t: string; validations: number; redemptions: number; rollbacks: number; discount_amount: number };

export async function campaignAnalytics(ctx: ServiceContext, id: string, query: { from?: string; to?: string; interval?: "hour" | "day" }) {
  requireScope(ctx.actor, "read:analytics");
  const campaign = await findCampaign(ctx, id);
  const interval = query.interval ?? "day";
  const span = interval === "hour" ? HOUR : DAY;
  // An open window starts at the campaign's creation and ends now, so a series is never unbounded.
  const bounded = { from: query.from ?? iso(campaign.createdAt), to: query.to ?? iso(Date.now() + HOUR) };
  const { start, end } = hours(bounded);
  const first = Math.floor(start / span) * span;
  const buckets = Math.ceil((end - first) / span);
  if (buckets > 2000) throw new ApiError("invalid_request", "At most 2,000 points: narrow from/to or use interval=day.", [{ path: "from", message: "window too long for the interval" }]);
  const db = ctx.env.DB;
  const [redemptions, validations] = await db.batch<Record<string, number>>([
    db
      .prepare(
        `SELECT (hour - ?4) / ?5 AS bucket, sum(redemptions) AS redemptions, sum(rolled_back) AS rolled_back, sum(discount_total) AS discount_total
         FROM redemption_rollups WHERE team_id = ?1 AND campaign_id = ?2 AND hour >= ?3 AND hour < ?6 GROUP BY bucket`,
      )
      .bind(campaign.teamId, campaign.id, start, first, span, end),
    db
      .prepare(
        `SELECT (vv.hour - ?4) / ?5 AS bucket, sum(vv.validations) AS validations, sum(vv.valid) AS valid
         FROM voucher_validations vv JOIN vouchers v ON v.id = vv.voucher_id AND v.team_id = vv.team_id
         WHERE vv.team_id = ?1 AND v.campaign_id = ?2 AND vv.hour >= ?3 AND vv.hour < ?6 GROUP BY bucket`,
      )
      .bind(campaign.teamId, campaign.id, start, first, span, end),
  ]);
  const points: SeriesPoint[] = Array.from({ length: buckets }, (_, i) => ({ t: iso(first + i * span), validations: 0, redemptions: 0, rollbacks: 0, discount_amount: 0 }));
  const totals: Totals = { redemptions: 0, rolled_back: 0, discount_total: 0, validations: 0, valid: 0 };
  for (const row of redemptions!.results) {
    const p = points[row.bucket!];
    if (!p) continue;
    p.redemptions = row.redemptions! - row.rolled_back!;
    p.rollbacks = row.rolled_back!;
    p.discount_amount = row.discount_total!;
    totals.redemptions += row.redemptions!;
    totals.rolled_back += row.rolled_back!;
    totals.discount_total += row.discount_total!;
  }
  for (const row of validations!.results) {
    const p = points[row.bucket!];
    if (!p) continue;
    p.validations = row.validations!;
    totals.validations += row.validations!;
    totals.valid += row.valid!;
  }
  const standing = totals.redemptions - totals.rolled_back;
  return {
    object: "campaign_analytics" as const,
    campaign_id: campaign.id,
    interval,
    from: iso(first),
    to: iso(end),
    totals: {
      validations: { count: totals.validations, valid: totals.valid, invalid: totals.validations - totals.valid },
      redemptions: { count: standing, rolled_back: totals.rolled_back },
      discount_total: totals.discount_total,
      redemption_rate: rate(standing, totals.valid),
    },
    series: points,
  };
}
