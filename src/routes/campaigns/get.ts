import { getCampaign } from "../../services/campaigns";
import { serviceContext } from "../context";
import { BEARER, createRouter, defineRoute, errorResponses, jsonContent } from "../openapi";
import { CampaignParams, CampaignWithStats } from "./schema";

const route = defineRoute({
  operationId: "getCampaign",
  method: "get",
  path: "/{id}",
  tags: ["Campaigns"],
  summary: "Get a campaign with live stats",
  description: "Needs `read:campaigns`. `redemptions_count`, `discount_total` and `budget_remaining` come from the campaign's own ledger.",
  security: BEARER,
  request: { params: CampaignParams },
  responses: { 200: jsonContent(CampaignWithStats, "The campaign"), ...errorResponses(["not_found"]) },
});

export default createRouter().openapi(route, async (c) => c.json(await getCampaign(serviceContext(c), c.req.valid("param").id), 200));
