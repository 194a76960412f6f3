// The requests Vauchflow sends to an endpoint, as an OpenAPI 3.1 webhook: the event payload and the signature
// headers, so receivers find them in the same document as the API.
import { z } from "@hono/zod-openapi";
import type { createRouter } from "../openapi";
import { EventType } from "./schema";

const WebhookEventPayload = z
  .object({
    id: z.string().openapi({ example: "evt_01JD0000000000000000000000", description: "The same on every attempt: use it to drop duplicates." }),
    type: EventType,
    created_at: z.string().openapi({ example: "2026-11-22T17:00:00Z" }),
    data: z.record(z.string(), z.unknown()).openapi({
      description: "What changed, as the API shows it after the change: the voucher, campaign, job or agent approval; for webhook.test `{webhook_id, message}`.",
    }),
  })
  .openapi("WebhookEvent");

const header = (description: string, example: string) => z.string().openapi({ description, example });

export function describeWebhookEvents(app: ReturnType<typeof createRouter>) {
  app.openAPIRegistry.registerWebhook({
    method: "post",
    path: "event",
    operationId: "receiveWebhookEvent",
    tags: ["Webhooks"],
    summary: "An event, as Vauchflow sends it to an endpoint",
    description:
      "A POST per attempt, signed afresh (its own timestamp; same event id and body). Verify `Vauchflow-Signature` (hex HMAC-SHA256 keyed with the whole secret string over `<t>.<raw body>`) or the Standard Webhooks headers, reject timestamps older than 300 s, and drop duplicates by event id. Any 2xx within 15 s succeeds; otherwise the attempt is retried after 5 min, 30 min, 2 h, 5 h, 10 h, then every 12 h up to 72 h (a `Retry-After` up to 12 h is honoured). Every event is written with the change it reports, so it is never lost; `voucher.validated` is the exception, since a validation changes nothing: it is written just after the answer, starts within 30 s of an endpoint subscribing to it (each server checks subscriptions every 30 s), and can be lost if the server that answered stops at that instant.",
    security: [],
    request: {
      headers: z.object({
        "vauchflow-signature": header("`t=<unix seconds>,v1=<hex>`, one `v1` per live secret (two during a rotation).", "t=1795000000,v1=5257a869…"),
        "webhook-id": header("The event id.", "evt_01JD0000000000000000000000"),
        "webhook-timestamp": header("Unix seconds of this attempt.", "1795000000"),
        "webhook-signature": header("`v1,<base64>` per live secret, space-separated (Standard Webhooks).", "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4="),
      }),
      body: { required: true, content: { "application/json": { schema: WebhookEventPayload } } },
    },
    responses: {
      200: { description: "Any 2xx within 15 s: delivered." },
      410: { description: "Gone: the endpoint is disabled at once (`disabled_reason: gone`)." },
    },
  });
}
