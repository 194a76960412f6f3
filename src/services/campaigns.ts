// Campaigns: create, list by status, get with live stats, patch (name, ends_at, budget_cap), pause/resume.
// The campaign's object is the authority for pause, end date and budget; D1 follows it right after.
import { and, desc, eq, lt } from "drizzle-orm";
import { newEvent } from "../domain/webhook-events";
import type { ServiceContext } from "../env";
import { ApiError } from "../errors";
import { database, schema, statementOf } from "../db/client";
import { type CodePattern, DEFAULT_PATTERN } from "../lib/code-pattern";
import { newId } from "../lib/ids";
import { page } from "../lib/pagination";
import { requireOnlyFields, requireScope, requireTeam } from "./access";
import { type CampaignRow, type CampaignStatus, campaignState, renderCampaign, renderStats, statusWhere } from "./campaign-store";
import type { Discount, Rules } from "../domain/voucher-rules";
import { dispatchAfterResponse, eventStatements } from "./webhook-outbox";

export type CreateCampaignInput = {
  name: string;
  type?: "discount" | "gift_card";
  discount?: Discount;
  gift_card?: { amount: number };
  currency?: string;
  rules?: Partial<Rules>;
  redemption_limit_per_voucher?: number | null;
  per_customer_limit?: number | null;
  budget_cap?: { amount: number } | null;
  starts_at?: string | null;
  ends_at?: string | null;
  code_pattern?: Partial<CodePattern>;
  metadata?: Record<string, string>;
};

export const campaignStub = (ctx: Pick<ServiceContext, "env">, campaignId: string) => ctx.env.CAMPAIGNS.get(ctx.env.CAMPAIGNS.idFromName(campaignId));
const parseTime = (value: string | null | undefined) => (value ? Date.parse(value) : null);

export function fullRules(rules: Partial<Rules> | undefined): Rules {
  return {
    min_order_amount: rules?.min_order_amount ?? null,
    max_order_amount: rules?.max_order_amount ?? null,
    customer_ids: rules?.customer_ids ?? null,
    skus: rules?.skus?.map((s) => s.toUpperCase()) ?? null,
    first_order_only: rules?.first_order_only ?? false,
  };
}

export async function createCampaign(ctx: ServiceContext, input: CreateCampaignInput) {
  requireScope(ctx.actor, "write:campaigns");
  const teamId = requireTeam(ctx.actor);
  await ctx.authorize(teamId, { operation: "create_campaign", input });
  const now = Date.now();
  const type = input.type ?? "discount";
  const row: CampaignRow = {
    id: newId("cmp"),
    teamId,
    name: input.name,
    type,
    discount: type === "discount" ? ((input.discount as Record<string, unknown> | undefined) ?? null) : null,
    giftCardAmount: type === "gift_card" ? (input.gift_card?.amount ?? null) : null,
    currency: input.currency?.toUpperCase() ?? null,
    rules: fullRules(input.rules) as unknown as Record<string, unknown>,
    redemptionLimitPerVoucher: input.redemption_limit_per_voucher ?? null,
    perCustomerLimit: input.per_customer_limit ?? null,
    budgetCap: input.budget_cap?.amount ?? null,
    startsAt: parseTime(input.starts_at),
    endsAt: parseTime(input.ends_at),
    paused: false,
    codePattern: { ...DEFAULT_PATTERN, ...input.code_pattern } as unknown as Record<string, unknown>,
    metadata: input.metadata ?? {},
    createdAt: now,
    updatedAt: now,
  };
  const campaign = renderCampaign(row);
  if (!ctx.dryRun) {
    const event = newEvent(teamId, "campaign.created", campaign, { now });
    await ctx.env.DB.batch([statementOf(ctx.env.DB, database(ctx.env.DB).insert(schema.campaigns).values(row)), ...eventStatements(ctx.env.DB, [event])]);
    dispatchAfterResponse(ctx, [event]);
    await campaignStub(ctx, row.id).install(campaignState(row));
  }
  return campaign;
}

export async function findCampaign(ctx: ServiceContext, id: string): Promise<CampaignRow> {
  const teamId = requireTeam(ctx.actor);
  const row = await database(ctx.env.DB)
    .select()
    .from(schema.campaigns)
    .where(and(eq(schema.campaigns.id, id), eq(schema.campaigns.teamId, teamId)))
    .get();
  if (!row) throw new ApiError("not_found", "No campaign with this id.");
  return row;
}

export async function listCampaigns(ctx: ServiceContext, query: { status?: CampaignStatus; limit: number; cursor?: string }) {
  requireScope(ctx.actor, "read:campaigns");
  const teamId = requireTeam(ctx.actor);
  const c = schema.campaigns;
  const rows = await database(ctx.env.DB)
    .select()
    .from(c)
    .where(and(eq(c.teamId, teamId), query.status ? statusWhere(query.status) : undefined, query.cursor ? lt(c.id, query.cursor) : undefined))
    .orderBy(desc(c.id))
    .limit(query.limit + 1);
  return page(rows, query.limit, renderCampaign);
}

export async function getCampaign(ctx: ServiceContext, id: string) {
  requireScope(ctx.actor, "read:campaigns");
  const row = await findCampaign(ctx, id);
  const [stats, vouchers] = await Promise.all([
    campaignStub(ctx, row.id).stats({ teamId: row.teamId, campaignId: row.id }),
    ctx.env.DB.prepare("SELECT count(*) AS total, coalesce(sum(redemptions_count > 0), 0) AS redeemed FROM vouchers WHERE team_id = ? AND campaign_id = ?")
      .bind(row.teamId, row.id)
      .first<{ total: number; redeemed: number }>(),
  ]);
  return {
    ...renderCampaign(row),
    stats: renderStats(stats ?? { redemptionsCount: 0, discountTotal: 0, budgetRemaining: row.budgetCap }, vouchers ?? { total: 0, redeemed: 0 }),
  };
}

export async function patchCampaign(ctx: ServiceContext, id: string, input: Record<string, unknown>) {
  requireScope(ctx.actor, "write:campaigns");
  requireOnlyFields(input, ["name", "ends_at", "budget_cap"]);
  // Found and checked before an agent's call is held: an approval is never made for a campaign that is not there.
  const row = await findCampaign(ctx, id);
  const next: CampaignRow = { ...row, updatedAt: Date.now() };
  if ("name" in input) next.name = input.name as string;
  if ("ends_at" in input) next.endsAt = parseTime(input.ends_at as string | null);
  if ("budget_cap" in input) next.budgetCap = (input.budget_cap as { amount: number } | null)?.amount ?? null;
  if (next.endsAt !== null && next.startsAt !== null && next.endsAt <= next.startsAt) {
    throw new ApiError("invalid_request", "ends_at must be after starts_at.", [{ path: "ends_at", message: "must be after starts_at" }]);
  }
  await ctx.authorize(row.teamId, { operation: "update_campaign", params: { id }, input });
  if (ctx.dryRun) return renderCampaign(next);
  // Only the fields the request names, to the object and to D1: a concurrent PATCH of another field (or a pause)
  // is never written back with what this request read, least of all a budget cap the object enforces.
  const changes: { endsAt?: number | null; budgetCap?: number | null } = {};
  if ("ends_at" in input) changes.endsAt = next.endsAt;
  if ("budget_cap" in input) changes.budgetCap = next.budgetCap;
  if (Object.keys(changes).length > 0) await campaignStub(ctx, row.id).update({ teamId: row.teamId, campaignId: row.id }, changes);
  const c = schema.campaigns;
  const updated = await database(ctx.env.DB)
    .update(c)
    .set({ ...changes, ...("name" in input ? { name: next.name } : {}), updatedAt: next.updatedAt })
    .where(and(eq(c.id, row.id), eq(c.teamId, row.teamId)))
    .returning()
    .get();
  return renderCampaign(updated ?? next);
}

export async function pauseCampaign(ctx: ServiceContext, id: string, paused: boolean) {
  requireScope(ctx.actor, "write:campaigns");
  const row = await findCampaign(ctx, id);
  await ctx.authorize(row.teamId, { operation: "pause_campaign", params: { id }, input: { paused } });
  // The object first: the very next validate or redeem of any voucher of the campaign sees it.
  const state = await campaignStub(ctx, row.id).update({ teamId: row.teamId, campaignId: row.id }, { paused });
  if (!state) throw new ApiError("not_found", "No campaign with this id.");
  const updatedAt = Date.now();
  const campaign = renderCampaign({ ...row, paused, updatedAt });
  // D1 follows the object; the event goes with D1's change, and only if the row was not in that state already.
  const event = newEvent(row.teamId, paused ? "campaign.paused" : "campaign.resumed", campaign, { now: updatedAt });
  await ctx.env.DB.batch([
    ...eventStatements(ctx.env.DB, [event], { sql: "EXISTS (SELECT 1 FROM campaigns WHERE id = ? AND paused <> ?)", params: [row.id, paused ? 1 : 0] }),
    statementOf(ctx.env.DB, database(ctx.env.DB).update(schema.campaigns).set({ paused, updatedAt }).where(eq(schema.campaigns.id, row.id))),
  ]);
  dispatchAfterResponse(ctx, [event]);
  return campaign;
}
