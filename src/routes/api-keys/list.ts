import { listKeys } from "../../services/api-keys";
import { listSchema, paginationQuery } from "../../lib/pagination";
import { serviceContext } from "../context";
import { defineRoute, BEARER, createRouter, errorResponses, jsonContent } from "../openapi";
import { ApiKey } from "./schema";

const route = defineRoute({
  operationId: "listApiKeys",
  method: "get",
  path: "/",
  tags: ["API keys"],
  summary: "List active keys",
  description: "Newest first. Revoked and expired keys are left out; secrets are never returned.",
  security: BEARER,
  request: { query: paginationQuery("key") },
  responses: { 200: jsonContent(listSchema(ApiKey), "A page of keys"), ...errorResponses([]) },
});

export default createRouter().openapi(route, async (c) => c.json(await listKeys(serviceContext(c), c.req.valid("query")), 200));
