// Validate, redeem and roll back: one round trip to the voucher's object, which decides atomically. A redeem may
// name a held reservation (./reservations.ts) instead of an order: still one round trip. A validate may already
// hold that object's answer, asked while its key was checked (./validate-preview.ts).
import type { ServiceContext } from "../env";
import { ApiError } from "../errors";
import { normalizeCode } from "../lib/codes";
import { newId } from "../lib/ids";
import { iso } from "../lib/time";
import { type Admission, ROLLBACK_WINDOW_MS, type RedeemOutcome, type RedemptionRecord, type VoucherView } from "../objects/voucher";
import { requireScope, requireTeam } from "./access";
import { noteFailedCode, noteRefusedRedemption } from "./code-failures";
import { notHeld } from "./reservations";
import { emitValidated } from "./validation-events";
import { type Speculation, speculatedOutcome } from "./validate-preview";
import { REASON_MESSAGES, type RedemptionRequest, totalAmount } from "../domain/voucher-rules";
import { voucherStub } from "./vouchers";

export function orderSummary(order: RedemptionRequest["order"], discountAmount: number) {
  return { amount: order.amount, discount_amount: discountAmount, total_amount: totalAmount(order.amount, discountAmount) };
}

/** Held reservations count as used (API.md §10): what is left is what a new order could still take. */
const remaining = ({ voucher, available }: { voucher: VoucherView; available: { redemptionsCount: number } }) =>
  voucher.redemptionLimit === null ? null : Math.max(0, voucher.redemptionLimit - available.redemptionsCount);

export function renderRedemption(r: RedemptionRecord) {
  return {
    id: r.id,
    object: "redemption" as const,
    status: r.status,
    code: r.code,
    voucher_id: r.voucherId,
    campaign_id: r.campaignId,
    customer_id: r.customerId,
    order: { ...r.order, ...orderSummary(r.order, r.discountAmount) },
    discount_amount: r.discountAmount,
    currency: r.currency,
    created_at: iso(r.createdAt),
    rollback_expires_at: iso(r.createdAt + ROLLBACK_WINDOW_MS),
    rolled_back_at: iso(r.rolledBackAt),
    rollback_reason: r.rollbackReason,
  };
}

export function checkoutTarget(ctx: ServiceContext, code: string) {
  const teamId = requireTeam(ctx.actor);
  const normalized = normalizeCode(code);
  return { stub: voucherStub(ctx, teamId, normalized), ref: { teamId, code: normalized } };
}

export async function validateVoucher(ctx: ServiceContext, code: string, request: RedemptionRequest, speculation?: Speculation | null) {
  requireScope(ctx.actor, "validate:vouchers");
  await ctx.authorize(requireTeam(ctx.actor), { operation: "validate_voucher", params: { code }, input: request });
  const ref = { teamId: requireTeam(ctx.actor), code: normalizeCode(code) };
  const outcome = (await speculatedOutcome(ctx, speculation, ref, request)) ?? (await voucherStub(ctx, ref.teamId, ref.code).validate(ref, request));
  if (!outcome) {
    noteFailedCode(ctx);
    throw new ApiError("voucher_not_found");
  }
  const { voucher: d, evaluation } = outcome;
  const teamId = requireTeam(ctx.actor);
  const seen = { code: d.code, campaign_id: d.campaignId, customer_id: request.customer_id ?? null, order_amount: request.order.amount };
  if (!evaluation.ok) {
    noteFailedCode(ctx);
    emitValidated(ctx, teamId, { ...seen, valid: false, reason: evaluation.reason });
    return { valid: false as const, code: d.code, reason: evaluation.reason, message: REASON_MESSAGES[evaluation.reason] };
  }
  emitValidated(ctx, teamId, { ...seen, valid: true, discount_amount: evaluation.discountAmount });
  const answer = {
    valid: true as const,
    code: d.code,
    discount_amount: evaluation.discountAmount,
    order: orderSummary(request.order, evaluation.discountAmount),
    expires_at: iso(d.expiresAt),
    campaign_id: d.campaignId,
  };
  // Browsers (publishable keys) see only what a shopper may see: no counts, limits or metadata.
  if (ctx.actor.kind === "api_key" && ctx.actor.keyType === "publishable") return answer;
  return {
    ...answer,
    type: d.type,
    discount: d.discount,
    currency: d.currency,
    gift_card: d.type === "gift_card" ? { amount: d.giftCardAmount ?? 0, balance: outcome.counters.giftCardBalance ?? 0 } : null,
    redemptions_count: outcome.counters.redemptionsCount,
    remaining_redemptions: remaining(outcome),
    metadata: d.metadata,
  };
}

/** A redeem names an order, or a held reservation (whose fields it may repeat). */
export type RedeemInput = Partial<RedemptionRequest> & { reservation_id?: string };

export async function redeemVoucher(ctx: ServiceContext, code: string, input: RedeemInput) {
  requireScope(ctx.actor, "redeem:vouchers");
  await ctx.authorize(requireTeam(ctx.actor), { operation: "redeem_voucher", params: { code }, input });
  const { stub, ref } = checkoutTarget(ctx, code);
  let outcome: RedeemOutcome;
  const { reservation_id, ...request } = input;
  if (reservation_id !== undefined) {
    outcome = await stub.redeemReservation(ref, reservation_id, request);
  } else {
    // The route's schema requires it; the check keeps the other callers (MCP, approvals) to the same rule.
    if (request.order === undefined) throw new ApiError("invalid_request", "order is required to redeem without a reservation_id.", [{ path: "order", message: "required" }]);
    outcome = await stub.redeem(ref, { ...request, order: request.order }, newId("red"));
  }
  if (!outcome || outcome.kind === "rejected") noteFailedCode(ctx);
  if (outcome && outcome.kind !== "redeemed") noteRefusedRedemption(ctx);
  if (!outcome) throw new ApiError("voucher_not_found");
  switch (outcome.kind) {
    case "redeemed":
      return { ...renderRedemption(outcome.redemption), remaining_redemptions: remaining(outcome) };
    case "reservation_not_found":
      throw new ApiError("not_found", "No reservation with this id on this voucher.", [{ path: "reservation_id", message: "not found on this voucher" }]);
    case "not_held":
      throw notHeld(outcome.reservation);
    case "mismatch":
      throw new ApiError("reservation_mismatch", undefined, outcome.fields.map((path) => ({ path, message: "differs from the reservation" })));
    default:
      return refuseAdmission(outcome, input.order?.id);
  }
}

/** The answer to a redemption or reservation the voucher refused: the same for both (API.md §10). */
export function refuseAdmission(outcome: Admission, orderId: string | undefined): never {
  if (outcome.kind === "duplicate") {
    const by = outcome.reservationId ? `held by reservation ${outcome.reservationId}` : outcome.redemptionId ? `already redeemed by ${outcome.redemptionId}` : "being redeemed by a concurrent request";
    throw new ApiError("duplicate_redemption", `Order ${orderId} already redeemed this voucher or holds a reservation of it.`, [{ path: "order.id", message: by }]);
  }
  const { reason } = outcome;
  if (reason === "redemption_limit_reached" || reason === "customer_limit_reached") throw new ApiError(reason);
  throw new ApiError("voucher_not_eligible", REASON_MESSAGES[reason], undefined, undefined, { reason });
}

export async function rollbackRedemption(ctx: ServiceContext, code: string, input: { redemption_id: string; reason?: string }) {
  requireScope(ctx.actor, "redeem:vouchers");
  await ctx.authorize(requireTeam(ctx.actor), { operation: "rollback_redemption", params: { code }, input: input });
  const { stub, ref } = checkoutTarget(ctx, code);
  const outcome = await stub.rollback(ref, input.redemption_id, input.reason ?? null);
  if (!outcome) throw new ApiError("voucher_not_found");
  if (outcome.kind === "not_found") throw new ApiError("not_found", "No redemption with this id on this voucher.");
  if (outcome.kind === "already_rolled_back") throw new ApiError("already_rolled_back");
  if (outcome.kind === "window_expired") throw new ApiError("rollback_window_expired");
  return renderRedemption(outcome.redemption);
}
