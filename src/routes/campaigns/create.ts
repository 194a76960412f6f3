import { createCampaign } from "../../services/campaigns";
import { serviceContext } from "../context";
import { BEARER, createRouter, defineRoute, errorResponses, jsonBody, jsonContent } from "../openapi";
import { Campaign, CreateCampaignBody } from "./schema";

const route = defineRoute({
  operationId: "createCampaign",
  method: "post",
  path: "/",
  tags: ["Campaigns"],
  summary: "Create a campaign",
  description: "Needs `write:campaigns`. Its vouchers inherit its discount, rules, limits and dates unless they set their own; `budget_cap` is never exceeded.",
  security: BEARER,
  agentOperation: "create_campaign",
  dryRun: true,
  request: jsonBody(CreateCampaignBody),
  responses: { 201: jsonContent(Campaign, "The campaign"), ...errorResponses([]) },
});

export default createRouter().openapi(route, async (c) => c.json(await createCampaign(serviceContext(c), c.req.valid("json")), 201));
