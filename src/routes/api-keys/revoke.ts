import { revokeKey } from "../../services/api-keys";
import { serviceContext } from "../context";
import { defineRoute, BEARER, createRouter, errorResponses } from "../openapi";
import { KeyParams } from "./schema";

const route = defineRoute({
  operationId: "revokeApiKey",
  method: "delete",
  path: "/{id}",
  tags: ["API keys"],
  summary: "Revoke a key",
  description: "Needs `write:api_keys` and every scope the target key holds (an `admin` key only by `admin`). Takes effect on the very next request with that key (401).",
  security: BEARER,
  request: { params: KeyParams },
  responses: { 204: { description: "Revoked" }, ...errorResponses(["not_found"]) },
});

export default createRouter().openapi(route, async (c) => {
  await revokeKey(serviceContext(c), c.req.valid("param").id);
  return c.body(null, 204);
});
