// The redemption report (API.md §7): one CSV row per redemption and per rollback in a window, streamed page by
// page (keyset on (at, id, event)) so memory stays constant whatever the number of rows.
import type { ServiceContext } from "../env";
import { csvStream } from "../lib/csv";
import { iso } from "../lib/time";
import { requireScope, requireTeam, timeWindow } from "./access";
import { findCampaign } from "./campaigns";

const PAGE = 500;
const HEADER = [
  "event",
  "at",
  "redemption_id",
  "voucher_id",
  "code",
  "campaign_id",
  "customer_id",
  "order_id",
  "order_amount",
  "discount_amount",
  "currency",
  "redeemed_at",
  "rollback_reason",
];

type ReportRow = {
  event: "redemption" | "rollback";
  at: number;
  id: string;
  voucher_id: string;
  code: string;
  campaign_id: string | null;
  customer_id: string | null;
  order_id: string | null;
  order: string;
  discount_amount: number;
  currency: string | null;
  created_at: number;
  rollback_reason: string | null;
};

export type ReportQuery = { from?: string; to?: string; campaign_id?: string };

export async function redemptionsReportCsv(ctx: ServiceContext, query: ReportQuery): Promise<ReadableStream<Uint8Array>> {
  requireScope(ctx.actor, "read:analytics");
  const teamId = requireTeam(ctx.actor);
  // Another team's campaign is not found, not an empty report.
  if (query.campaign_id) await findCampaign(ctx, query.campaign_id);
  const { from, to } = timeWindow(query);
  const campaign = query.campaign_id ?? null;
  const columns = "id, voucher_id, code, campaign_id, customer_id, order_id, \"order\", discount_amount, currency, created_at, rollback_reason";
  const sql = `SELECT * FROM (
      SELECT 'redemption' AS event, created_at AS at, ${columns} FROM redemptions
       WHERE team_id = ?1 AND created_at >= ?2 AND created_at < ?3 AND (?4 IS NULL OR campaign_id = ?4)
      UNION ALL
      SELECT 'rollback' AS event, rolled_back_at AS at, ${columns} FROM redemptions
       WHERE team_id = ?1 AND status = 'rolled_back' AND rolled_back_at >= ?2 AND rolled_back_at < ?3 AND (?4 IS NULL OR campaign_id = ?4)
    ) WHERE (at, id, event) > (?5, ?6, ?7) ORDER BY at, id, event LIMIT ${PAGE}`;
  const fetchPage = async (after: ReportRow | null) => {
    const { results } = await ctx.env.DB.prepare(sql)
      .bind(teamId, from, to, campaign, after?.at ?? -1, after?.id ?? "", after?.event ?? "")
      .all<ReportRow>();
    return results;
  };
  return csvStream(HEADER, fetchPage, (r) => {
    const order = JSON.parse(r.order) as { amount?: number };
    return [
      r.event,
      iso(r.at),
      r.id,
      r.voucher_id,
      r.code,
      r.campaign_id,
      r.customer_id,
      r.order_id,
      order.amount ?? null,
      r.event === "rollback" ? -r.discount_amount : r.discount_amount,
      r.currency,
      iso(r.created_at),
      r.rollback_reason,
    ];
  });
}
