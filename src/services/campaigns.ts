// Campaigns: create, list by status, get with live stats, patch (name, ends_at, budget_cap), pause/resume.
// The campaign's object is the authority for pause, end date and budget; D1 follows it right after, by the
// object's revision (an older change never overwrites a newer one), and the object sends paused/resumed itself.
import { and, desc, eq, lt, sql } from "drizzle-orm";
import { newEvent } from "../domain/webhook-events";
import type { ServiceContext } from "../env";
import { ApiError } from "../errors";
import { database, schema, statementOf } from "../db/client";
import { type CodePattern, DEFAULT_PATTERN } from "../lib/code-pattern";
import { newId } from "../lib/ids";
import { page } from "../lib/pagination";
import { requireOnlyFields, requireScope, requireTeam } from "./access";
import { type CampaignRow, type CampaignStatus, campaignState, renderCampaign, renderStats, statusWhere } from "./campaign-store";
import type { CampaignState } from "../objects/campaign";
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
    objectRevision: 0,
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
  // Only the fields the request names go to the object: a concurrent PATCH of another field (or a pause) is never
  // written back with what this request read, least of all a budget cap the object enforces.
  const changes: { endsAt?: number | null; budgetCap?: number | null } = {};
  if ("ends_at" in input) changes.endsAt = next.endsAt;
  if ("budget_cap" in input) changes.budgetCap = next.budgetCap;
  const state = Object.keys(changes).length > 0 ? await campaignStub(ctx, row.id).update({ teamId: row.teamId, campaignId: row.id }, changes) : null;
  const db = database(ctx.env.DB);
  const c = schema.campaigns;
  const named = "name" in input ? [db.update(c).set({ name: next.name, updatedAt: later(next.updatedAt) }).where(and(eq(c.id, row.id), eq(c.teamId, row.teamId)))] : [];
  const statements = [...(state ? [mirrorStatement(ctx, row, state, next.updatedAt)] : []), ...named];
  if (statements.length > 0) await ctx.env.DB.batch(statements.map((q) => statementOf(ctx.env.DB, q)));
  return renderCampaign(state ? withState(next, state) : next);
}

/** `updated_at` moves forward only. */
const later = (at: number) => sql`max(${schema.campaigns.updatedAt}, ${at})`;

/**
 * D1's copy of what the object governs (pause, end date, budget cap), as of the object's revision `state`: written
 * only over an older revision, so of two changes answered one after the other, D1 keeps the later whatever the
 * order their writes arrive in.
 */
function mirrorStatement(ctx: ServiceContext, row: CampaignRow, state: CampaignState, at: number) {
  const c = schema.campaigns;
  const revision = state.revision ?? 0;
  return database(ctx.env.DB)
    .update(c)
    .set({ paused: state.paused, endsAt: state.endsAt, budgetCap: state.budgetCap, objectRevision: revision, updatedAt: later(at) })
    .where(and(eq(c.id, row.id), eq(c.teamId, row.teamId), lt(c.objectRevision, revision)));
}

const withState = (row: CampaignRow, state: CampaignState): CampaignRow => ({ ...row, paused: state.paused, endsAt: state.endsAt, budgetCap: state.budgetCap });

export async function pauseCampaign(ctx: ServiceContext, id: string, paused: boolean) {
  requireScope(ctx.actor, "write:campaigns");
  const row = await findCampaign(ctx, id);
  await ctx.authorize(row.teamId, { operation: "pause_campaign", params: { id }, input: { paused } });
  const updatedAt = Date.now();
  // The object first: the very next validate or redeem of any voucher of the campaign sees it. It records the
  // event with its change, when there is one (pausing a paused campaign changes nothing, and sends nothing).
  const state = await campaignStub(ctx, row.id).update({ teamId: row.teamId, campaignId: row.id }, { paused }, renderCampaign({ ...row, paused, updatedAt }));
  if (!state) throw new ApiError("not_found", "No campaign with this id.");
  const campaign = withState({ ...row, updatedAt }, state);
  await ctx.env.DB.batch([statementOf(ctx.env.DB, mirrorStatement(ctx, row, state, updatedAt))]);
  return renderCampaign(campaign);
}
