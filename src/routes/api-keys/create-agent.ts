import { createAgentKey } from "../../services/api-keys";
import { serviceContext } from "../context";
import { defineRoute, BEARER, createRouter, errorResponses, jsonBody, jsonContent } from "../openapi";
import { ApiKeyWithSecret, CreateAgentKeyBody } from "./schema";

const route = defineRoute({
  operationId: "createAgentKey",
  method: "post",
  path: "/agent",
  tags: ["API keys"],
  summary: "Create an agent key",
  description: "Only a secret key or an owner/admin user may. Agent keys carry explicit scopes, expire after `ttl_days` (1–90, default 7) and cannot be rotated.",
  security: BEARER,
  request: jsonBody(CreateAgentKeyBody),
  responses: { 201: jsonContent(ApiKeyWithSecret, "The agent key, with its secret shown once"), ...errorResponses([]) },
});

export default createRouter().openapi(route, async (c) => c.json(await createAgentKey(serviceContext(c), c.req.valid("json")), 201));
