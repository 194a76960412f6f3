// The writes an agent key can make, by operation name: what an approved request runs again, through the same
// verbs as its REST route (and, for the MCP server, its tool). Inputs were validated by the route's schema when
// the request was held, so they are passed on as stored.
import type { AgentOperation } from "../domain/approval-policy";
import type { ServiceContext } from "../env";
import { createBulkJob } from "./bulk";
import { createCampaign, type CreateCampaignInput, patchCampaign, pauseCampaign } from "./campaigns";
import { eraseCustomer } from "./customer-erasure";
import { createCustomer } from "./customers";
import { type RedeemInput, redeemVoucher, rollbackRedemption, validateVoucher } from "./redemptions";
import { releaseReservation, type ReserveInput, reserveVoucher } from "./reservations";
import { createVoucher, type CreateVoucherInput, patchVoucher } from "./vouchers";
import type { RedemptionRequest } from "../domain/voucher-rules";
import { retryDelivery } from "./webhook-deliveries";
import { createWebhook, type CreateWebhookInput, deleteWebhook, patchWebhook, rotateWebhookSecret, sendTestEvent } from "./webhooks";

type Run = (ctx: ServiceContext, params: Record<string, string>, input: never) => Promise<unknown>;
/**
 * `shownOnce`: fields of the result (a webhook's signing secret) that only the caller may see, once. Run from an
 * approval, the decider's approve answer shows them and nothing keeps them: the stored result (read by the agent,
 * sent in agent.action.executed) goes without them, as REST shows a secret once and never lists it.
 */
export type Operation = { status: number; run: Run; shownOnce?: readonly string[] };

/** The result as it may be kept and shown again: without the fields shown once. */
export function keptResult(operation: Operation | undefined, body: unknown): unknown {
  if (!operation?.shownOnce || body === null || typeof body !== "object") return body;
  const kept: Record<string, unknown> = { ...(body as Record<string, unknown>) };
  for (const field of operation.shownOnce) delete kept[field];
  return kept;
}

const param = (params: Record<string, string>, name: string) => params[name] ?? "";

/** The operations that exist today; the rest of AGENT_OPERATIONS arrive with their services (erasure). */
export const OPERATIONS: Partial<Record<AgentOperation, Operation>> = {
  create_voucher: { status: 201, run: (ctx, _p, input: CreateVoucherInput) => createVoucher(ctx, input) },
  update_voucher: { status: 200, run: (ctx, p, input: Record<string, unknown>) => patchVoucher(ctx, param(p, "code"), input) },
  bulk_create_vouchers: { status: 202, run: (ctx, _p, input: Parameters<typeof createBulkJob>[1]) => createBulkJob(ctx, input) },
  validate_voucher: { status: 200, run: (ctx, p, input: RedemptionRequest) => validateVoucher(ctx, param(p, "code"), input) },
  redeem_voucher: { status: 201, run: (ctx, p, input: RedeemInput) => redeemVoucher(ctx, param(p, "code"), input) },
  reserve_voucher: { status: 201, run: (ctx, p, input: ReserveInput) => reserveVoucher(ctx, param(p, "code"), input) },
  release_reservation: { status: 204, run: async (ctx, p) => (await releaseReservation(ctx, param(p, "code"), param(p, "id")), null) },
  rollback_redemption: {
    status: 200,
    run: (ctx, p, input: { redemption_id: string; reason?: string }) => rollbackRedemption(ctx, param(p, "code"), input),
  },
  create_campaign: { status: 201, run: (ctx, _p, input: CreateCampaignInput) => createCampaign(ctx, input) },
  update_campaign: { status: 200, run: (ctx, p, input: Record<string, unknown>) => patchCampaign(ctx, param(p, "id"), input) },
  pause_campaign: { status: 200, run: (ctx, p, input: { paused: boolean }) => pauseCampaign(ctx, param(p, "id"), input.paused) },
  delete_customer: { status: 204, run: async (ctx, p) => (await eraseCustomer(ctx, param(p, "id")), null) },
  create_customer: { status: 201, run: (ctx, _p, input: { id: string; metadata?: Record<string, string> }) => createCustomer(ctx, input) },
  create_webhook: { status: 201, run: (ctx, _p, input: CreateWebhookInput) => createWebhook(ctx, input), shownOnce: ["secret"] },
  update_webhook: { status: 200, run: (ctx, p, input: Record<string, unknown>) => patchWebhook(ctx, param(p, "id"), input) },
  delete_webhook: { status: 204, run: async (ctx, p) => (await deleteWebhook(ctx, param(p, "id")), null) },
  rotate_webhook_secret: {
    status: 200,
    run: (ctx, p, input: { expire_old_in_seconds?: number }) => rotateWebhookSecret(ctx, param(p, "id"), input ?? {}),
    shownOnce: ["secret"],
  },
  send_webhook_test_event: { status: 202, run: (ctx, p) => sendTestEvent(ctx, param(p, "id")) },
  retry_webhook_delivery: { status: 202, run: (ctx, p) => retryDelivery(ctx, param(p, "id"), param(p, "delivery_id")) },
};
