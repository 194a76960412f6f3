import { approveApproval } from "../../services/approvals";
import { serviceContext } from "../context";
import { BEARER, createRouter, defineRoute, errorResponses, jsonContent } from "../openapi";
import { Approval, ApprovalParams } from "./schema";

const route = defineRoute({
  operationId: "approveAgentApproval",
  method: "post",
  path: "/{id}/approve",
  tags: ["Agent approvals"],
  summary: "Approve: run the held request once, as the agent",
  description:
    "A secret key with `write:approvals`, or an owner or admin. The stored request runs exactly once through the same service as its REST route, as the agent key is now (its scopes and rate limit; revoked or expired → `failed`). The answer is the approval with `status` `executed` or `failed` and `execution_result`. A webhook secret the request made (create, rotate-secret) is in this answer's `execution_result` only, shown this once to the approver: the stored result, which the agent reads and `agent.action.executed` carries, goes without it. A decided or expired approval → 409 `approval_not_pending`; of concurrent approves one runs, the others get 409.",
  security: BEARER,
  request: { params: ApprovalParams },
  responses: { 200: jsonContent(Approval, "The approval, executed or failed"), ...errorResponses(["not_found", "approval_not_pending"]) },
});

export default createRouter().openapi(route, async (c) => c.json(await approveApproval(serviceContext(c), c.req.valid("param").id), 200));
