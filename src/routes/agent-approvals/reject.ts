import { rejectApproval } from "../../services/approvals";
import { serviceContext } from "../context";
import { BEARER, createRouter, defineRoute, errorResponses, jsonContent } from "../openapi";
import { Approval, ApprovalParams, RejectBody } from "./schema";

const route = defineRoute({
  operationId: "rejectAgentApproval",
  method: "post",
  path: "/{id}/reject",
  tags: ["Agent approvals"],
  summary: "Reject a held request",
  description: "A secret key with `write:approvals`, or an owner or admin; `reason` is kept. Final: the request never runs. A decided or expired approval → 409 `approval_not_pending`.",
  security: BEARER,
  request: { params: ApprovalParams, body: { required: false, content: { "application/json": { schema: RejectBody } } } },
  responses: { 200: jsonContent(Approval, "The rejected approval"), ...errorResponses(["not_found", "approval_not_pending"]) },
});

export default createRouter().openapi(route, async (c) => c.json(await rejectApproval(serviceContext(c), c.req.valid("param").id, c.req.valid("json") ?? {}), 200));
