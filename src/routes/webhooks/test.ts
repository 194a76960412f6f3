import { sendTestEvent } from "../../services/webhooks";
import { serviceContext } from "../context";
import { BEARER, createRouter, defineRoute, errorResponses, jsonContent } from "../openapi";
import { TestEvent, WebhookParams } from "./schema";

const route = defineRoute({
  operationId: "sendWebhookTestEvent",
  method: "post",
  path: "/{id}/test",
  tags: ["Webhooks"],
  summary: "Send a test event",
  description:
    "Needs `write:webhooks`. Queues a `webhook.test` event for this endpoint alone, delivered, signed and retried like any event; follow it in the endpoint's deliveries. A disabled endpoint → 409 `webhook_disabled`. Agent keys: run at once by the default policy (`send_webhook_test_event`); a team whose policy holds it gets 202 with an approval instead of the event.",
  security: BEARER,
  agentOperation: "send_webhook_test_event",
  request: { params: WebhookParams },
  responses: { 202: jsonContent(TestEvent, "The event, queued"), ...errorResponses(["not_found", "webhook_disabled"]) },
});

export default createRouter().openapi(route, async (c) => c.json(await sendTestEvent(serviceContext(c), c.req.valid("param").id), 202));
