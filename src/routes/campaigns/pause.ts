import { pauseCampaign } from "../../services/campaigns";
import { serviceContext } from "../context";
import { BEARER, createRouter, defineRoute, errorResponses, jsonBody, jsonContent } from "../openapi";
import { Campaign, CampaignParams, PauseBody } from "./schema";

const route = defineRoute({
  operationId: "pauseCampaign",
  method: "post",
  path: "/{id}/pause",
  tags: ["Campaigns"],
  summary: "Pause or resume a campaign",
  description: "Needs `write:campaigns`. Takes effect on the very next validate or redeem of any of the campaign's vouchers.",
  security: BEARER,
  agentOperation: "pause_campaign",
  request: { params: CampaignParams, ...jsonBody(PauseBody) },
  responses: { 200: jsonContent(Campaign, "The campaign with its new status"), ...errorResponses(["not_found"]) },
});

export default createRouter().openapi(route, async (c) =>
  c.json(await pauseCampaign(serviceContext(c), c.req.valid("param").id, c.req.valid("json").paused), 200),
);
