import { createKey } from "../../services/api-keys";
import { serviceContext } from "../context";
import { defineRoute, BEARER, createRouter, errorResponses, jsonBody, jsonContent } from "../openapi";
import { ApiKeyWithSecret, CreateKeyBody } from "./schema";

const route = defineRoute({
  operationId: "createApiKey",
  method: "post",
  path: "/",
  tags: ["API keys"],
  summary: "Create a secret or publishable key",
  description:
    "Needs `write:api_keys` (secret keys and users; agent keys cannot manage keys). A key can never grant scopes it does not hold (`admin` only from `admin`), outlive itself or exceed its own rate limit (an unset limit counts as the environment's default). The plaintext `key` is returned once.",
  security: BEARER,
  request: jsonBody(CreateKeyBody),
  responses: { 201: jsonContent(ApiKeyWithSecret, "The key, with its secret shown once"), ...errorResponses([]) },
});

export default createRouter().openapi(route, async (c) => c.json(await createKey(serviceContext(c), c.req.valid("json")), 201));
