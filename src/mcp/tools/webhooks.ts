// Webhook tools: the same verbs and zod schemas as POST and DELETE /v1/webhooks. Both are agent operations the
// default policy holds for a human (API.md §8), so an agent's call usually answers with an approval id.
import { z } from "zod";
import { CreateWebhookBody, WebhookParams } from "../../routes/webhooks/schema";
import { defineTool, IdempotencyKeyArg } from "../tool";

const HELD = "For an agent key the team's approval policy holds this for a human by default: the result then names the approval id to follow.";
const segment = (value: string) => encodeURIComponent(value);

export const webhookTools = [
  defineTool({
    name: "create_webhook",
    title: "Create a webhook endpoint",
    description: `Subscribes a URL to events (or ["*"]). The signing secret (whsec_…) is in the result of a direct call only; an endpoint created through an approval keeps its secret out of the stored result — rotate it to get one. ${HELD}`,
    scope: "write:webhooks",
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    input: CreateWebhookBody.safeExtend({ idempotency_key: IdempotencyKeyArg }),
    rest: ({ idempotency_key: _, ...body }) => ({ method: "POST", path: "/v1/webhooks", body }),
  }),
  defineTool({
    name: "delete_webhook",
    title: "Delete a webhook endpoint",
    description: `Deletes an endpoint: nothing more is delivered to it. ${HELD}`,
    scope: "write:webhooks",
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    input: z.strictObject({ ...WebhookParams.shape }),
    rest: ({ id }) => ({ method: "DELETE", path: `/v1/webhooks/${segment(id)}`, params: { id }, body: {} }),
  }),
];
