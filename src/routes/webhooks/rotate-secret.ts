import { rotateWebhookSecret } from "../../services/webhooks";
import { serviceContext } from "../context";
import { BEARER, createRouter, defineRoute, errorResponses, jsonContent } from "../openapi";
import { RotatedSecret, RotateSecretBody, WebhookParams } from "./schema";

const route = defineRoute({
  operationId: "rotateWebhookSecret",
  method: "post",
  path: "/{id}/rotate-secret",
  tags: ["Webhooks"],
  summary: "Rotate a webhook endpoint's secret",
  description:
    "Needs `write:webhooks`. Answers the new secret, shown this once. Until the old secret expires (`expire_old_in_seconds`, default 86400) every delivery carries two signatures in each header, one per live secret. Rotating again while an old secret still lives keeps it until its own expiry (three signatures meanwhile); `expire_old_in_seconds: 0` ends every old secret at once. Agent keys: held for approval by the default policy (`rotate_webhook_secret`): the answer is 202 with an approval; once approved the secret rotates and the approver's answer shows the new secret, that once; the approval's stored result (readable by the agent, sent in `agent.action.*` events) never shows it.",
  security: BEARER,
  agentOperation: "rotate_webhook_secret",
  request: { params: WebhookParams, body: { required: false, content: { "application/json": { schema: RotateSecretBody } } } },
  responses: { 200: jsonContent(RotatedSecret, "The new secret"), ...errorResponses(["not_found"]) },
});

export default createRouter().openapi(route, async (c) =>
  c.json(await rotateWebhookSecret(serviceContext(c), c.req.valid("param").id, c.req.valid("json") ?? {}), 200),
);
