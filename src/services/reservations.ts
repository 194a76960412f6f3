// Reservations (API.md §10): hold a voucher while the customer pays. One round trip to the voucher's object, which
// counts a held reservation exactly like a redemption and gives it back by itself at its expiry.
import { DEFAULT_TTL_SECONDS } from "../domain/reservations";
import type { ServiceContext } from "../env";
import { ApiError } from "../errors";
import { newId } from "../lib/ids";
import { iso } from "../lib/time";
import type { ReservationRecord } from "../objects/voucher";
import { requireScope, requireTeam } from "./access";
import { noteFailedCode, noteRefusedRedemption } from "./code-failures";
import { checkoutTarget, orderSummary, refuseAdmission } from "./redemptions";
import type { RedemptionRequest } from "../domain/voucher-rules";

export type ReserveInput = RedemptionRequest & { ttl_seconds?: number };

export function renderReservation(r: ReservationRecord) {
  return {
    id: r.id,
    object: "reservation" as const,
    status: r.status,
    code: r.code,
    campaign_id: r.campaignId,
    customer_id: r.customerId,
    order: { ...r.order, ...orderSummary(r.order, r.discountAmount) },
    discount_amount: r.discountAmount,
    currency: r.currency,
    expires_at: iso(r.expiresAt)!,
    created_at: iso(r.createdAt)!,
    redemption_id: r.redemptionId,
  };
}

export async function reserveVoucher(ctx: ServiceContext, code: string, input: ReserveInput) {
  requireScope(ctx.actor, "redeem:vouchers");
  await ctx.authorize(requireTeam(ctx.actor), { operation: "reserve_voucher", params: { code }, input });
  const { ttl_seconds, ...request } = input;
  const { stub, ref } = checkoutTarget(ctx, code);
  const outcome = await stub.reserve(ref, request, newId("rsv"), (ttl_seconds ?? DEFAULT_TTL_SECONDS) * 1000);
  if (!outcome || outcome.kind === "rejected") noteFailedCode(ctx);
  if (outcome && outcome.kind !== "reserved") noteRefusedRedemption(ctx);
  if (!outcome) throw new ApiError("voucher_not_found");
  if (outcome.kind !== "reserved") refuseAdmission(outcome, request.order.id);
  return renderReservation(outcome.reservation);
}

export async function getReservation(ctx: ServiceContext, code: string, id: string) {
  requireScope(ctx.actor, "redeem:vouchers");
  const { stub, ref } = checkoutTarget(ctx, code);
  const outcome = await stub.getReservation(ref, id);
  if (!outcome) throw new ApiError("voucher_not_found");
  if (outcome.kind === "not_found") throw new ApiError("not_found", "No reservation with this id on this voucher.");
  return renderReservation(outcome.reservation);
}

export async function releaseReservation(ctx: ServiceContext, code: string, id: string): Promise<void> {
  requireScope(ctx.actor, "redeem:vouchers");
  await ctx.authorize(requireTeam(ctx.actor), { operation: "release_reservation", params: { code, id }, input: {} });
  const { stub, ref } = checkoutTarget(ctx, code);
  const outcome = await stub.releaseReservation(ref, id);
  if (!outcome) throw new ApiError("voucher_not_found");
  if (outcome.kind === "not_found") throw new ApiError("not_found", "No reservation with this id on this voucher.");
  if (outcome.kind === "not_held") throw notHeld(outcome.reservation);
}

export function notHeld(r: ReservationRecord) {
  return new ApiError("reservation_not_held", `Reservation ${r.id} is ${r.status}.`, undefined, undefined, { reservation_status: r.status });
}
