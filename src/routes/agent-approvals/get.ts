import { getApproval } from "../../services/approvals";
import { serviceContext } from "../context";
import { BEARER, createRouter, defineRoute, errorResponses, jsonContent } from "../openapi";
import { Approval, ApprovalParams } from "./schema";

const route = defineRoute({
  operationId: "getAgentApproval",
  method: "get",
  path: "/{id}",
  tags: ["Agent approvals"],
  summary: "Get an agent approval",
  description: "An operator, or the agent key that made the request (any other agent key gets 404). Agents poll this to learn the decision and `execution_result`.",
  security: BEARER,
  request: { params: ApprovalParams },
  responses: { 200: jsonContent(Approval, "The approval"), ...errorResponses(["not_found"]) },
});

export default createRouter().openapi(route, async (c) => c.json(await getApproval(serviceContext(c), c.req.valid("param").id), 200));
