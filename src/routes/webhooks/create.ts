import { createWebhook } from "../../services/webhooks";
import { serviceContext } from "../context";
import { BEARER, createRouter, defineRoute, errorResponses, jsonBody, jsonContent } from "../openapi";
import { CreatedWebhookEndpoint, CreateWebhookBody } from "./schema";

const route = defineRoute({
  operationId: "createWebhook",
  method: "post",
  path: "/",
  tags: ["Webhooks"],
  summary: "Create a webhook endpoint",
  description:
    "Needs `write:webhooks`. Answers the endpoint with its signing `secret` (`whsec_…`), shown this once and stored encrypted. Production URLs must be `https` to a public host (422 `webhook_url_not_allowed`). Agent keys: held for approval by the default policy (202); once approved, the approver's answer shows the secret, that once; the approval's stored result (readable by the agent, sent in `agent.action.*` events) never does.",
  security: BEARER,
  agentOperation: "create_webhook",
  dryRun: true,
  request: jsonBody(CreateWebhookBody),
  responses: { 201: jsonContent(CreatedWebhookEndpoint, "The endpoint, with its secret"), ...errorResponses(["webhook_url_not_allowed"]) },
});

export default createRouter().openapi(route, async (c) => c.json(await createWebhook(serviceContext(c), c.req.valid("json")), 201));
