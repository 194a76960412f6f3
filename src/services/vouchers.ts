// Vouchers: create (code given or generated), get (authoritative counts from the voucher's object), patch
// (through the object, which then updates D1), list and CSV export from D1's listing copy.
import { newEvent } from "../domain/webhook-events";
import type { ServiceContext } from "../env";
import { ApiError } from "../errors";
import { type CodePattern, DEFAULT_PATTERN, generateCode } from "../lib/code-pattern";
import { normalizeCode } from "../lib/codes";
import { newId } from "../lib/ids";
import { iso } from "../lib/time";
import type { Snapshot, VoucherPatch } from "../objects/voucher";
import { requireOnlyFields, requireScope, requireTeam } from "./access";
import type { CampaignRow } from "./campaign-store";
import { findCampaign, fullRules } from "./campaigns";
import type { Discount, Rules, VoucherDefinition } from "../domain/voucher-rules";
import { dispatchAfterResponse, eventStatements } from "./webhook-outbox";

export type CreateVoucherInput = {
  code?: string;
  campaign_id?: string;
  type?: "discount" | "gift_card";
  discount?: Discount;
  gift_card?: { amount: number };
  currency?: string;
  redemption_limit?: number | null;
  per_customer_limit?: number | null;
  rules?: Partial<Rules>;
  starts_at?: string | null;
  expires_at?: string | null;
  active?: boolean;
  metadata?: Record<string, string>;
};

export const voucherStub = (ctx: Pick<ServiceContext, "env">, teamId: string, code: string) =>
  ctx.env.VOUCHERS.get(ctx.env.VOUCHERS.idFromName(`${teamId}:${code}`));

export function renderVoucher({ definition: d, counters }: Snapshot) {
  return {
    id: d.id,
    object: "voucher" as const,
    code: d.code,
    campaign_id: d.campaignId,
    type: d.type,
    discount: d.discount,
    gift_card: d.type === "gift_card" ? { amount: d.giftCardAmount ?? 0, balance: counters.giftCardBalance ?? 0 } : null,
    currency: d.currency,
    redemption_limit: d.redemptionLimit,
    per_customer_limit: d.perCustomerLimit,
    redemptions_count: counters.redemptionsCount,
    rules: d.rules,
    starts_at: iso(d.startsAt),
    expires_at: iso(d.expiresAt),
    active: d.active,
    metadata: d.metadata,
    created_at: iso(d.createdAt),
    updated_at: iso(d.updatedAt),
  };
}

const parseTime = (value: string | null | undefined) => (value ? Date.parse(value) : null);

/**
 * The definition a new voucher starts with: its own fields, and for a campaign voucher the campaign's discount,
 * rules, per-voucher limit, start and code pattern wherever it sets none (those campaign fields never change, so
 * they are copied; pause, end date, budget and the campaign-wide customer limit are asked of the campaign's object).
 */
export function voucherTemplate(teamId: string, input: CreateVoucherInput, campaign: CampaignRow | null, now: number): Omit<VoucherDefinition, "id" | "code"> {
  const rules = { ...(campaign?.rules as Partial<Rules> | undefined), ...input.rules };
  const type = input.type ?? campaign?.type ?? (input.gift_card ? "gift_card" : "discount");
  const template = {
    teamId,
    campaignId: campaign?.id ?? null,
    type,
    discount: type === "discount" ? (input.discount ?? (campaign?.discount as Discount | null | undefined) ?? null) : null,
    giftCardAmount: type === "gift_card" ? (input.gift_card?.amount ?? campaign?.giftCardAmount ?? null) : null,
    currency: input.currency?.toUpperCase() ?? campaign?.currency ?? null,
    redemptionLimit: input.redemption_limit !== undefined ? input.redemption_limit : (campaign?.redemptionLimitPerVoucher ?? null),
    perCustomerLimit: input.per_customer_limit ?? null,
    rules: fullRules(rules),
    startsAt: input.starts_at !== undefined ? parseTime(input.starts_at) : (campaign?.startsAt ?? null),
    expiresAt: parseTime(input.expires_at),
    active: input.active ?? true,
    metadata: input.metadata ?? {},
    createdAt: now,
    updatedAt: now,
  };
  const missing = (path: string, message: string) => new ApiError("invalid_request", `The voucher's ${path} ${message}.`, [{ path, message }]);
  if (template.type === "discount" && !template.discount) throw missing("discount", "is required (the campaign sets none)");
  if (template.type === "gift_card" && !template.giftCardAmount) throw missing("gift_card", "is required (the campaign sets none)");
  if ((template.type === "gift_card" || template.discount?.type === "amount") && !template.currency) throw missing("currency", "is required for amounts of money");
  return template;
}

export async function createVoucher(ctx: ServiceContext, input: CreateVoucherInput) {
  requireScope(ctx.actor, "write:vouchers");
  const teamId = requireTeam(ctx.actor);
  await ctx.authorize(teamId, { operation: "create_voucher", input, codes: 1 });
  const campaign = input.campaign_id ? await findCampaign(ctx, input.campaign_id) : null;
  const template = voucherTemplate(teamId, input, campaign, Date.now());
  const counters = { redemptionsCount: 0, giftCardBalance: template.giftCardAmount };
  const pattern = (campaign?.codePattern as CodePattern | undefined) ?? DEFAULT_PATTERN;
  const given = input.code ? normalizeCode(input.code) : null;
  const id = newId("vch");
  // A generated code retries on the rare collision; a given one answers 409.
  for (let attempt = 0; attempt < 5; attempt++) {
    const definition: VoucherDefinition = { ...template, id, code: given ?? generateCode(pattern) };
    const snapshot = { definition, counters };
    if (ctx.dryRun) {
      const taken = await ctx.env.DB.prepare("SELECT 1 FROM vouchers WHERE team_id = ? AND code = ?").bind(teamId, definition.code).first();
      if (taken && given) throw new ApiError("duplicate_code");
      if (taken) continue;
      return renderVoucher(snapshot);
    }
    const voucher = renderVoucher(snapshot);
    const event = newEvent(teamId, "voucher.created", voucher);
    if (await insertVoucher(ctx, snapshot, eventStatements(ctx.env.DB, [event], { sql: "EXISTS (SELECT 1 FROM vouchers WHERE id = ?)", params: [id] }))) {
      dispatchAfterResponse(ctx, [event]);
      await voucherStub(ctx, teamId, definition.code).install(definition, counters);
      return voucher;
    }
    if (given) throw new ApiError("duplicate_code");
  }
  // Five random draws all taken: the pattern is (nearly) full.
  throw new ApiError("code_space_too_small", "No free code was found in the campaign's code pattern: it is (nearly) full. Give a code, or widen the pattern.");
}

/**
 * Inserts the voucher's row and, in the same transaction, `andThen` (its event, guarded on the row existing);
 * false when the code is already taken in the team.
 */
async function insertVoucher(ctx: ServiceContext, { definition: d, counters }: Snapshot, andThen: D1PreparedStatement[]): Promise<boolean> {
  const insert = ctx.env.DB.prepare(
    `INSERT INTO vouchers (id, team_id, code, campaign_id, type, discount, gift_card_amount, gift_card_balance, currency,
        redemption_limit, per_customer_limit, redemptions_count, rules, starts_at, expires_at, active, metadata, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (team_id, code) DO NOTHING`,
  )
    .bind(
      d.id,
      d.teamId,
      d.code,
      d.campaignId,
      d.type,
      d.discount ? JSON.stringify(d.discount) : null,
      d.giftCardAmount,
      counters.giftCardBalance,
      d.currency,
      d.redemptionLimit,
      d.perCustomerLimit,
      JSON.stringify(d.rules),
      d.startsAt,
      d.expiresAt,
      d.active ? 1 : 0,
      JSON.stringify(d.metadata),
      d.createdAt,
      d.updatedAt,
    );
  const [result] = await ctx.env.DB.batch([insert, ...andThen]);
  return result?.meta.changes === 1;
}

export async function getVoucher(ctx: ServiceContext, code: string) {
  requireScope(ctx.actor, "read:vouchers");
  const teamId = requireTeam(ctx.actor);
  const normalized = normalizeCode(code);
  const snapshot = await voucherStub(ctx, teamId, normalized).get({ teamId, code: normalized });
  if (!snapshot) throw new ApiError("voucher_not_found");
  return renderVoucher(snapshot);
}

export async function patchVoucher(ctx: ServiceContext, code: string, input: Record<string, unknown>) {
  requireScope(ctx.actor, "write:vouchers");
  const teamId = requireTeam(ctx.actor);
  requireOnlyFields(input, ["metadata", "expires_at", "active"]);
  await ctx.authorize(teamId, { operation: "update_voucher", params: { code }, input });
  const changes: VoucherPatch = {};
  if ("metadata" in input) changes.metadata = input.metadata as Record<string, string>;
  if ("expires_at" in input) changes.expiresAt = parseTime(input.expires_at as string | null);
  if ("active" in input) changes.active = input.active as boolean;
  const normalized = normalizeCode(code);
  // The object is the authority: it applies the change at once and brings D1 along from its outbox.
  const snapshot = await voucherStub(ctx, teamId, normalized).patch({ teamId, code: normalized }, changes);
  if (!snapshot) throw new ApiError("voucher_not_found");
  return renderVoucher(snapshot);
}
