import { deleteWebhook } from "../../services/webhooks";
import { serviceContext } from "../context";
import { BEARER, createRouter, defineRoute, errorResponses } from "../openapi";
import { WebhookParams } from "./schema";

const route = defineRoute({
  operationId: "deleteWebhook",
  method: "delete",
  path: "/{id}",
  tags: ["Webhooks"],
  summary: "Delete a webhook endpoint",
  description: "Needs `write:webhooks`. Nothing more is delivered to it, retries included; its deliveries are deleted with it. Agent keys: held for approval by the default policy (202).",
  security: BEARER,
  agentOperation: "delete_webhook",
  request: { params: WebhookParams },
  responses: { 204: { description: "Deleted" }, ...errorResponses(["not_found"]) },
});

export default createRouter().openapi(route, async (c) => {
  await deleteWebhook(serviceContext(c), c.req.valid("param").id);
  return c.body(null, 204);
});
