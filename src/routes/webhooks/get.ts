import { getWebhook } from "../../services/webhooks";
import { serviceContext } from "../context";
import { BEARER, createRouter, defineRoute, errorResponses, jsonContent } from "../openapi";
import { WebhookEndpoint, WebhookParams } from "./schema";

const route = defineRoute({
  operationId: "getWebhook",
  method: "get",
  path: "/{id}",
  tags: ["Webhooks"],
  summary: "Get a webhook endpoint",
  description: "Needs `read:webhooks`. Never shows the secret.",
  security: BEARER,
  request: { params: WebhookParams },
  responses: { 200: jsonContent(WebhookEndpoint, "The endpoint"), ...errorResponses(["not_found"]) },
});

export default createRouter().openapi(route, async (c) => c.json(await getWebhook(serviceContext(c), c.req.valid("param").id), 200));
