import { listSchema, paginationQuery } from "../../lib/pagination";
import { listDeliveries } from "../../services/webhook-deliveries";
import { serviceContext } from "../context";
import { BEARER, createRouter, defineRoute, errorResponses, jsonContent } from "../openapi";
import { DeliveriesQuery, Delivery, WebhookParams } from "./schema";

const route = defineRoute({
  operationId: "listWebhookDeliveries",
  method: "get",
  path: "/{id}/deliveries",
  tags: ["Webhooks"],
  summary: "List an endpoint's deliveries",
  description:
    "Needs `read:webhooks`. One delivery per event sent to the endpoint, newest first, with its attempts so far and the last answer; filter by `status` (e.g. `dead` for the ones given up on). A failed attempt is retried after 5 min, 30 min, 2 h, 5 h, 10 h, then every 12 h up to 72 h (a receiver's `Retry-After` up to 12 h is honoured); then the delivery is `dead`. Deliveries that succeeded or are dead are kept 30 days, then deleted with their events.",
  security: BEARER,
  request: { params: WebhookParams, query: paginationQuery("dlv").extend(DeliveriesQuery.shape) },
  responses: { 200: jsonContent(listSchema(Delivery), "A page of deliveries"), ...errorResponses(["not_found"]) },
});

export default createRouter().openapi(route, async (c) =>
  c.json(await listDeliveries(serviceContext(c), c.req.valid("param").id, c.req.valid("query")), 200),
);
