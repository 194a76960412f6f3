import { getApprovalPolicy, putApprovalPolicy } from "../../services/approval-policies";
import { serviceContext } from "../context";
import { BEARER, createRouter, defineRoute, errorResponses, jsonBody, jsonContent } from "../openapi";
import { ApprovalPolicy, ApprovalPolicyBody } from "./schema";

const get = defineRoute({
  operationId: "getApprovalPolicy",
  method: "get",
  path: "/",
  tags: ["Agent approvals"],
  summary: "The team's approval policy for agent keys",
  description:
    "A secret key with `read:approvals`, or any team member. For each write an agent key can make: `execute` (runs at once) or `approve` (held for a human, answered 202 with an approval). Defaults (API.md §8): single voucher create, validate, redeem, rollback and customer create run; bulk creation, campaign create/update/pause, webhook create/update/delete and secret rotation, and customer delete wait (a webhook test event or delivery retry runs); any call creating more than 100 codes always waits. Secret keys and users never wait.",
  security: BEARER,
  responses: { 200: jsonContent(ApprovalPolicy, "The policy, defaults filled in"), ...errorResponses([]) },
});

const put = defineRoute({
  operationId: "putApprovalPolicy",
  method: "put",
  path: "/",
  tags: ["Agent approvals"],
  summary: "Replace the team's approval policy",
  description: "Owners and admins, or a secret key holding `admin`. Rules left out take their default; takes effect on the very next agent request.",
  security: BEARER,
  request: jsonBody(ApprovalPolicyBody),
  responses: { 200: jsonContent(ApprovalPolicy, "The new policy"), ...errorResponses([]) },
});

export default createRouter()
  .openapi(get, async (c) => c.json(await getApprovalPolicy(serviceContext(c)), 200))
  .openapi(put, async (c) => c.json(await putApprovalPolicy(serviceContext(c), c.req.valid("json")), 200));
