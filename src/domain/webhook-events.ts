// The events of API.md §9 and their one shape. An event is made where its change is made and written with it:
// a D1 change puts its event row in the same db.batch (src/services/webhook-outbox.ts), a Durable Object's
// change puts it in the object's own outbox, from which the ledger stream writes it to D1 the same way. Ids are
// made once, with the change, so writing an event twice (a redelivered message) leaves one row.
import { z } from "zod";
import { newId } from "../lib/ids";
import { iso } from "../lib/time";

export const EVENT_TYPES = [
  "voucher.created",
  "voucher.validated",
  "voucher.redeemed",
  "redemption.rolled_back",
  "campaign.created",
  "campaign.paused",
  "campaign.resumed",
  "campaign.budget_reached",
  "bulk_job.completed",
  "bulk_job.failed",
  "fraud.alert",
  "agent.action.pending_approval",
  "agent.action.approved",
  "agent.action.rejected",
  "agent.action.executed",
  "agent.action.expired",
  "webhook.test",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** An event as stored in the outbox; `endpoint_id` limits it to one endpoint (webhook.test), null for all that match. */
export const webhookEventSchema = z.object({
  id: z.string().regex(/^evt_[0-9A-HJKMNP-TV-Z]{26}$/),
  team_id: z.string().min(1),
  type: z.enum(EVENT_TYPES),
  created_at: z.number().int(),
  data: z.record(z.string(), z.unknown()),
  endpoint_id: z.string().nullable(),
});
export type WebhookEvent = z.infer<typeof webhookEventSchema>;

export function newEvent(teamId: string, type: EventType, data: object, options: { now?: number; endpointId?: string } = {}): WebhookEvent {
  return {
    id: newId("evt"),
    team_id: teamId,
    type,
    created_at: options.now ?? Date.now(),
    data: data as Record<string, unknown>,
    endpoint_id: options.endpointId ?? null,
  };
}

/** Whether an endpoint subscribed to `events` receives an event of `type` (webhook.test goes to its endpoint only). */
export const subscribes = (events: readonly string[], type: string) => type !== "webhook.test" && (events.includes("*") || events.includes(type));

/** The body every attempt sends, byte for byte the same for the same event. */
export const eventPayload = (e: { id: string; type: string; created_at: number; data: string }) =>
  `{"id":${JSON.stringify(e.id)},"type":${JSON.stringify(e.type)},"created_at":${JSON.stringify(iso(e.created_at))},"data":${e.data}}`;
