// What the voucher object's RPC methods take and answer, apart from the object itself.
import type { Counters, Evaluation, Reason, RedemptionRequest, VoucherDefinition } from "../domain/voucher-rules";
import type { ReservationRecord } from "./voucher-reservations";

export { type GivenRequest, mismatches } from "../domain/reservations";
export type { ReservationRecord, ReservationStatus } from "./voucher-reservations";

export const ROLLBACK_WINDOW_MS = 30 * 60 * 1000;

export type VoucherRef = { teamId: string; code: string };

export type RedemptionRecord = {
  id: string;
  voucherId: string;
  code: string;
  campaignId: string | null;
  customerId: string | null;
  order: RedemptionRequest["order"];
  discountAmount: number;
  currency: string | null;
  status: "redeemed" | "rolled_back";
  createdAt: number;
  rolledBackAt: number | null;
  rollbackReason: string | null;
};

/** A new redemption of `def`, standing; its currency the one given (a reservation's), else the voucher's or the order's. */
export function newRedemptionRecord(
  def: VoucherDefinition,
  id: string,
  customerId: string | null,
  order: RedemptionRequest["order"],
  discountAmount: number,
  currency?: string | null,
): RedemptionRecord {
  return {
    id,
    voucherId: def.id,
    code: def.code,
    campaignId: def.campaignId,
    customerId,
    order,
    discountAmount,
    currency: currency !== undefined ? currency : (def.currency ?? order.currency?.toUpperCase() ?? null),
    status: "redeemed",
    createdAt: Date.now(),
    rolledBackAt: null,
    rollbackReason: null,
  };
}

export type Snapshot = { definition: VoucherDefinition; counters: Counters };
/** What a checkout answer shows of the voucher: no rules (allow-lists can be long) or bookkeeping crosses the RPC. */
export type VoucherView = Pick<VoucherDefinition, "code" | "campaignId" | "type" | "discount" | "currency" | "giftCardAmount" | "expiresAt" | "metadata" | "redemptionLimit">;
/** `available`: the counters less what held reservations and in-flight redemptions have spent already. */
export type ValidateOutcome = { voucher: VoucherView; counters: Counters; available: Counters; evaluation: Evaluation } | null;
/** A preview's answer: validate's, or "cold" when the voucher or its campaign would have to be loaded first. */
export type PreviewOutcome = NonNullable<ValidateOutcome> | "cold";
/** Why a new redemption or reservation was refused; `duplicate` names what holds the order, when known. */
export type Admission =
  | { kind: "rejected"; reason: Reason }
  | { kind: "duplicate"; redemptionId: string | null; reservationId?: string };
export type RedeemOutcome =
  | null
  | { kind: "redeemed"; redemption: RedemptionRecord; voucher: VoucherView; counters: Counters; available: Counters }
  | Admission
  | { kind: "reservation_not_found" }
  | { kind: "not_held"; reservation: ReservationRecord }
  | { kind: "mismatch"; fields: string[] };
export type ReserveOutcome = null | { kind: "reserved"; reservation: ReservationRecord } | Admission;
export type ReservationOutcome = null | { kind: "not_found" } | { kind: "found"; reservation: ReservationRecord };
export type ReleaseOutcome =
  | null
  | { kind: "not_found" }
  | { kind: "not_held"; reservation: ReservationRecord }
  | { kind: "released"; reservation: ReservationRecord };
export type RollbackOutcome =
  | null
  | { kind: "not_found" }
  | { kind: "already_rolled_back"; redemption: RedemptionRecord }
  | { kind: "window_expired" }
  | { kind: "rolled_back"; redemption: RedemptionRecord };
/** What a campaign's reconciliation learns of a redemption it reserved budget for. */
export type RedemptionState = "committed" | "in_flight" | "absent";
export type VoucherPatch = { metadata?: Record<string, string>; expiresAt?: number | null; active?: boolean };

export const view = (d: VoucherDefinition): VoucherView => ({
  code: d.code,
  campaignId: d.campaignId,
  type: d.type,
  discount: d.discount,
  currency: d.currency,
  giftCardAmount: d.giftCardAmount,
  expiresAt: d.expiresAt,
  metadata: d.metadata,
  redemptionLimit: d.redemptionLimit,
});
