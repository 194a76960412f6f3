import { retryDelivery } from "../../services/webhook-deliveries";
import { serviceContext } from "../context";
import { BEARER, createRouter, defineRoute, errorResponses, jsonContent } from "../openapi";
import { Delivery, DeliveryParams } from "./schema";

const route = defineRoute({
  operationId: "retryWebhookDelivery",
  method: "post",
  path: "/{id}/deliveries/{delivery_id}/retry",
  tags: ["Webhooks"],
  summary: "Retry a dead delivery",
  description:
    "Needs `write:webhooks`. Redelivers a `dead` delivery now: one attempt, signed afresh with the same event id; if it fails the delivery is `dead` again. Not dead → 409 `delivery_not_dead`; a disabled endpoint → 409 `webhook_disabled`. Agent keys: run at once by the default policy (`retry_webhook_delivery`); a team whose policy holds it gets 202 with an approval instead of the delivery.",
  security: BEARER,
  agentOperation: "retry_webhook_delivery",
  request: { params: DeliveryParams },
  responses: { 202: jsonContent(Delivery, "The delivery, queued"), ...errorResponses(["not_found", "delivery_not_dead", "webhook_disabled"]) },
});

export default createRouter().openapi(route, async (c) => {
  const { id, delivery_id } = c.req.valid("param");
  return c.json(await retryDelivery(serviceContext(c), id, delivery_id), 202);
});
