import { listSchema, paginationQuery } from "../../lib/pagination";
import { listApprovals } from "../../services/approvals";
import { serviceContext } from "../context";
import { BEARER, createRouter, defineRoute, errorResponses, jsonContent } from "../openapi";
import { Approval, ListApprovalsQuery } from "./schema";

const route = defineRoute({
  operationId: "listAgentApprovals",
  method: "get",
  path: "/",
  tags: ["Agent approvals"],
  summary: "List agent approvals",
  description: "Operators only: a secret key with `read:approvals`, or an owner, admin or developer. Newest first; filter by `status`.",
  security: BEARER,
  request: { query: paginationQuery("apr").extend(ListApprovalsQuery.shape) },
  responses: { 200: jsonContent(listSchema(Approval), "A page of approvals"), ...errorResponses([]) },
});

export default createRouter().openapi(route, async (c) => c.json(await listApprovals(serviceContext(c), c.req.valid("query")), 200));
