import { listSchema, paginationQuery } from "../../lib/pagination";
import { listWebhooks } from "../../services/webhooks";
import { serviceContext } from "../context";
import { BEARER, createRouter, defineRoute, errorResponses, jsonContent } from "../openapi";
import { WebhookEndpoint } from "./schema";

const route = defineRoute({
  operationId: "listWebhooks",
  method: "get",
  path: "/",
  tags: ["Webhooks"],
  summary: "List webhook endpoints",
  description: "Needs `read:webhooks`. Newest first; never shows a secret.",
  security: BEARER,
  request: { query: paginationQuery("whk") },
  responses: { 200: jsonContent(listSchema(WebhookEndpoint), "A page of endpoints"), ...errorResponses([]) },
});

export default createRouter().openapi(route, async (c) => c.json(await listWebhooks(serviceContext(c), c.req.valid("query")), 200));
