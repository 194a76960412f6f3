import { patchCampaign } from "../../services/campaigns";
import { serviceContext } from "../context";
import { BEARER, createRouter, defineRoute, errorResponses, jsonBody, jsonContent } from "../openapi";
import { Campaign, CampaignParams, PatchCampaignBody } from "./schema";

const route = defineRoute({
  operationId: "updateCampaign",
  method: "patch",
  path: "/{id}",
  tags: ["Campaigns"],
  summary: "Update a campaign",
  description: "Needs `write:campaigns`. Only `name`, `ends_at` and `budget_cap`; other fields → 422 `unsupported_field`.",
  security: BEARER,
  agentOperation: "update_campaign",
  dryRun: true,
  request: { params: CampaignParams, ...jsonBody(PatchCampaignBody) },
  responses: { 200: jsonContent(Campaign, "The updated campaign"), ...errorResponses(["not_found", "unsupported_field"]) },
});

export default createRouter().openapi(route, async (c) =>
  c.json(await patchCampaign(serviceContext(c), c.req.valid("param").id, c.req.valid("json")), 200),
);
