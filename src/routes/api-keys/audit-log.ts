import { z } from "@hono/zod-openapi";
import { listAuditLog } from "../../services/audit-log";
import { listSchema, paginationQuery } from "../../lib/pagination";
import { serviceContext } from "../context";
import { BEARER, createRouter, defineRoute, errorResponses, jsonContent } from "../openapi";
import { KeyParams } from "./schema";

const AuditEntry = z
  .object({
    at: z.string(),
    request_id: z.string(),
    method: z.string(),
    path: z.string(),
    status: z.number().int(),
    agent_context: z
      .object({ agent: z.string(), client: z.string().nullable(), prompt_fp: z.string().nullable(), conv: z.string().nullable() })
      .nullable(),
    approval_id: z.string().nullable().openapi({ description: "For an agent's request run from an approval: the approval." }),
    decided_by: z.string().nullable().openapi({ description: "For an agent's request run from an approval: the user or secret key that approved it." }),
  })
  .openapi("AuditEntry");

const route = defineRoute({
  operationId: "getApiKeyAuditLog",
  method: "get",
  path: "/{id}/audit-log",
  tags: ["API keys"],
  summary: "A key's audit log",
  description:
    "Newest first: the key's requests that changed something, and its denied requests (401 once the key was identified, 403, 429). Entries are written after the response, so one may appear a moment later. Needs `read:api_keys`; revoked keys keep their log.",
  security: BEARER,
  request: { params: KeyParams, query: paginationQuery("req") },
  responses: { 200: jsonContent(listSchema(AuditEntry), "A page of entries"), ...errorResponses(["not_found"]) },
});

export default createRouter().openapi(route, async (c) =>
  c.json(await listAuditLog(serviceContext(c), c.req.valid("param").id, c.req.valid("query")), 200),
);
