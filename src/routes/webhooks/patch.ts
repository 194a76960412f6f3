import { patchWebhook } from "../../services/webhooks";
import { serviceContext } from "../context";
import { BEARER, createRouter, defineRoute, errorResponses, jsonBody, jsonContent } from "../openapi";
import { PatchWebhookBody, WebhookEndpoint, WebhookParams } from "./schema";

const route = defineRoute({
  operationId: "updateWebhook",
  method: "patch",
  path: "/{id}",
  tags: ["Webhooks"],
  summary: "Update a webhook endpoint",
  description:
    "Needs `write:webhooks`. Only `url`, `events`, `description` and `status`; other fields → 422 `unsupported_field`. `status: enabled` re-enables a disabled endpoint (clearing `disabled_reason` and its failure record); events that happened while it was disabled are not sent. Agent keys: held for approval by the default policy (`update_webhook`): the answer is 202 with an approval, and nothing changes until a human approves.",
  security: BEARER,
  agentOperation: "update_webhook",
  request: { params: WebhookParams, ...jsonBody(PatchWebhookBody) },
  responses: { 200: jsonContent(WebhookEndpoint, "The updated endpoint"), ...errorResponses(["not_found", "unsupported_field", "webhook_url_not_allowed"]) },
});

export default createRouter().openapi(route, async (c) =>
  c.json(await patchWebhook(serviceContext(c), c.req.valid("param").id, c.req.valid("json")), 200),
);
