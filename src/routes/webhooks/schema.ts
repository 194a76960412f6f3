import { z } from "@hono/zod-openapi";
import { EVENT_TYPES } from "../../domain/webhook-events";
import { patchBody } from "../shared-schema";

export const EventType = z.enum(EVENT_TYPES).openapi("WebhookEventType");

const Url = z
  .string()
  .max(2048)
  .refine((value) => URL.canParse(value), "must be an absolute URL")
  .openapi({
    format: "uri",
    example: "https://shop.example.com/hooks/vauchflow",
    description: "Production: `https` to a public host only (never loopback, private or link-local addresses; 422 `webhook_url_not_allowed`). Staging also accepts `http` and local hosts.",
  });

const Events = z
  .array(z.union([EventType, z.literal("*")]))
  .min(1)
  .max(EVENT_TYPES.length)
  .refine((events) => !events.includes("*") || events.length === 1, "`*` stands alone: it means every event")
  .openapi({ description: 'The event types to receive, or `["*"]` for all.', example: ["voucher.redeemed", "campaign.budget_reached"] });

const Description = z.string().max(500).nullable();

export const CreateWebhookBody = z.strictObject({ url: Url, events: Events, description: Description.optional() }).openapi("CreateWebhookRequest");

const Timestamp = z.string().openapi({ example: "2026-11-22T17:00:00Z" });

export const WebhookEndpoint = z
  .object({
    id: z.string().nullable().openapi({ example: "whk_01JD0000000000000000000000", description: "null in a dry-run answer." }),
    object: z.literal("webhook_endpoint"),
    url: z.string(),
    events: z.array(z.string()),
    description: z.string().nullable(),
    status: z.enum(["enabled", "disabled"]),
    disabled_reason: z.enum(["gone", "failing", "manual", "url_not_allowed"]).nullable().openapi({
      description: "`gone`: the endpoint answered 410. `failing`: every attempt failed for 5 days. `manual`: disabled by PATCH. `url_not_allowed`: its URL failed the check made before an attempt.",
    }),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi("WebhookEndpoint");

export const CreatedWebhookEndpoint = WebhookEndpoint.extend({
  secret: z.string().nullable().openapi({
    example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    description: "Shown this once: keep it to verify signatures. null in a dry-run answer, which makes no secret.",
  }),
  dry_run: z.literal(true).optional(),
}).openapi("CreatedWebhookEndpoint");

export const PatchWebhookBody = patchBody(
  { url: Url.optional(), events: Events.optional(), description: Description.optional(), status: z.enum(["enabled", "disabled"]).optional() },
  WebhookEndpoint,
).openapi("UpdateWebhookRequest");

export const RotateSecretBody = z
  .strictObject({
    expire_old_in_seconds: z.number().int().min(0).max(86_400).default(86_400).openapi({
      description: "How long the old secret keeps signing alongside the new one, 0 to 86400 (the default: 24 hours).",
    }),
  })
  .openapi("RotateWebhookSecretRequest");

export const RotatedSecret = z
  .object({
    secret: z.string().openapi({ example: "whsec_…" }),
    old_secret_expires_at: Timestamp.nullable().openapi({ description: "Until when deliveries are also signed with the old secret; null when it died at once." }),
  })
  .openapi("RotatedWebhookSecret");

export const TestEvent = z
  .object({
    id: z.string().openapi({ example: "evt_01JD0000000000000000000000" }),
    object: z.literal("event"),
    type: z.literal("webhook.test"),
    created_at: Timestamp,
    data: z.record(z.string(), z.unknown()),
  })
  .openapi("WebhookTestEvent");

export const DELIVERY_STATUSES = ["pending", "succeeded", "failed", "dead"] as const;

export const Delivery = z
  .object({
    id: z.string().openapi({ example: "dlv_01JD0000000000000000000000" }),
    object: z.literal("webhook_delivery"),
    webhook_id: z.string(),
    event_id: z.string(),
    event_type: z.string(),
    attempt: z.number().int().openapi({ description: "Attempts made so far." }),
    status: z.enum(DELIVERY_STATUSES).openapi({
      description: "`pending`: not attempted yet. `failed`: the last attempt failed; the next is at `next_attempt_at`. `succeeded`: a 2xx. `dead`: given up (schedule over, 410, endpoint disabled).",
    }),
    response_status: z.number().int().nullable().openapi({ description: "The last attempt's HTTP status; null when none came (timeout, connection error)." }),
    duration_ms: z.number().int().nullable(),
    error: z.string().nullable().openapi({ description: "Why the last attempt failed, if it did." }),
    next_attempt_at: Timestamp.nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi("WebhookDelivery");

export const WebhookParams = z.object({
  id: z.string().max(64).openapi({ param: { name: "id", in: "path" }, example: "whk_01JD0000000000000000000000" }),
});

export const DeliveryParams = WebhookParams.extend({
  delivery_id: z.string().max(64).openapi({ param: { name: "delivery_id", in: "path" }, example: "dlv_01JD0000000000000000000000" }),
});

export const DeliveriesQuery = z.object({ status: z.enum(DELIVERY_STATUSES).optional().openapi({ description: "Only deliveries in this status." }) });
