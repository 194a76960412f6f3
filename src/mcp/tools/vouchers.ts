// Voucher tools: the same verbs and zod schemas as the routes under /v1/vouchers.
import { z } from "zod";
import { paginationQuery } from "../../lib/pagination";
import { listVouchers } from "../../services/voucher-list";
import { getVoucher } from "../../services/vouchers";
import { getReservation } from "../../services/reservations";
import { CodeParams, CreateVoucherBody, ListVouchersQuery, RedeemBody, ReservationParams, ReserveBody, RollbackBody, ValidateBody } from "../../routes/vouchers/schema";
import { defineTool, IdempotencyKeyArg, segment } from "../tool";

export const voucherTools = [
  defineTool({
    name: "get_voucher",
    title: "Get a voucher",
    description: "A voucher by its code (case-insensitive), with its discount, rules, limits and authoritative redemptions_count.",
    scope: "read:vouchers",
    annotations: { readOnlyHint: true, openWorldHint: false },
    input: z.strictObject(CodeParams.shape),
    run: (ctx, args) => getVoucher(ctx, args.code),
  }),
  defineTool({
    name: "list_vouchers",
    title: "List vouchers",
    description: "The team's vouchers, newest first, filtered by campaign, status, code prefix or creation time. Pass next_cursor back as cursor for the next page.",
    scope: "read:vouchers",
    annotations: { readOnlyHint: true, openWorldHint: false },
    input: z.strictObject({ ...ListVouchersQuery.omit({ format: true }).shape, ...paginationQuery("vch").shape }),
    run: (ctx, args) => listVouchers(ctx, args),
  }),
  defineTool({
    name: "validate_voucher",
    title: "Validate a voucher for an order",
    description:
      "Whether a code applies to an order and the discount it gives; consumes nothing. An ineligible voucher is a normal result with valid: false and a reason.",
    scope: "validate:vouchers",
    annotations: { readOnlyHint: true, openWorldHint: false },
    input: ValidateBody.safeExtend(CodeParams.shape),
    rest: ({ code, ...body }) => ({ method: "POST", path: `/v1/vouchers/${segment(code)}/validate`, params: { code }, body }),
  }),
  defineTool({
    name: "create_voucher",
    title: "Create a voucher",
    description:
      "Creates one voucher; the code is generated from the campaign's pattern when omitted. A campaign voucher inherits the campaign's discount, rules, limits and dates unless it sets its own.",
    scope: "write:vouchers",
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    input: CreateVoucherBody.safeExtend({ idempotency_key: IdempotencyKeyArg }),
    rest: ({ idempotency_key: _, ...body }) => ({ method: "POST", path: "/v1/vouchers", body }),
  }),
  defineTool({
    name: "redeem_voucher",
    title: "Redeem a voucher",
    description:
      "Redeems a code for an order, atomically and at most once per order.id: the same order again is refused (duplicate_redemption). Spends the voucher's limits, a gift card's balance and the campaign's budget; can be rolled back within 30 minutes.",
    scope: "redeem:vouchers",
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    input: RedeemBody.safeExtend({ ...CodeParams.shape, idempotency_key: IdempotencyKeyArg }),
    rest: ({ code, idempotency_key: _, ...body }) => ({ method: "POST", path: `/v1/vouchers/${segment(code)}/redeem`, params: { code }, body }),
  }),
  defineTool({
    name: "reserve_voucher",
    title: "Hold a voucher while the customer pays",
    description:
      "Checks the code exactly as redeem_voucher would and holds it for ttl_seconds (30–900, default 300): the hold counts against every limit, balance and budget, and is given back by itself at expires_at. Redeem it with redeem_voucher and reservation_id, or release it with release_reservation.",
    scope: "redeem:vouchers",
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    input: ReserveBody.safeExtend({ ...CodeParams.shape, idempotency_key: IdempotencyKeyArg }),
    rest: ({ code, idempotency_key: _, ...body }) => ({ method: "POST", path: `/v1/vouchers/${segment(code)}/reserve`, params: { code }, body }),
  }),
  defineTool({
    name: "get_reservation",
    title: "Get a reservation",
    description: "A reservation of this code: held, redeemed, released or expired, and what it holds until expires_at.",
    scope: "redeem:vouchers",
    annotations: { readOnlyHint: true, openWorldHint: false },
    input: z.strictObject(ReservationParams.shape),
    run: (ctx, args) => getReservation(ctx, args.code, args.id),
  }),
  defineTool({
    name: "release_reservation",
    title: "Release a reservation",
    description: "Gives back at once everything a held reservation holds. One no longer held → reservation_not_held.",
    scope: "redeem:vouchers",
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    input: z.strictObject(ReservationParams.shape),
    rest: ({ code, id }) => ({ method: "DELETE", path: `/v1/vouchers/${segment(code)}/reservations/${segment(id)}`, params: { code, id }, body: {} }),
  }),
  defineTool({
    name: "rollback_redemption",
    title: "Roll back a redemption",
    description: "Undoes a redemption of this code within 30 minutes, restoring every count, balance and budget it consumed. Twice → already_rolled_back.",
    scope: "redeem:vouchers",
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    input: RollbackBody.safeExtend(CodeParams.shape),
    rest: ({ code, ...body }) => ({ method: "POST", path: `/v1/vouchers/${segment(code)}/rollback`, params: { code }, body }),
  }),
];
