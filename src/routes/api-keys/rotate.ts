import { rotateKey } from "../../services/api-keys";
import { serviceContext } from "../context";
import { defineRoute, BEARER, createRouter, errorResponses, jsonContent } from "../openapi";
import { KeyParams, RotateKeyBody, RotatedKey } from "./schema";

const route = defineRoute({
  operationId: "rotateApiKey",
  method: "post",
  path: "/{id}/rotate",
  tags: ["API keys"],
  summary: "Rotate a key's secret",
  description:
    "Needs `write:api_keys` and every scope the target key holds. Issues a new secret for the same key (same id, scopes and rate-limit window). The old secret dies now, or after `expire_old_in_seconds`. Agent keys answer 422 `unsupported_operation`.",
  security: BEARER,
  request: { params: KeyParams, body: { required: false, content: { "application/json": { schema: RotateKeyBody } } } },
  responses: { 200: jsonContent(RotatedKey, "The key with its new secret"), ...errorResponses(["not_found", "unsupported_operation"]) },
});

export default createRouter().openapi(route, async (c) =>
  c.json(await rotateKey(serviceContext(c), c.req.valid("param").id, c.req.valid("json") ?? {}), 200),
);
