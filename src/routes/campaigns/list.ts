import { listSchema, paginationQuery } from "../../lib/pagination";
import { listCampaigns } from "../../services/campaigns";
import { serviceContext } from "../context";
import { BEARER, createRouter, defineRoute, errorResponses, jsonContent } from "../openapi";
import { Campaign, ListCampaignsQuery } from "./schema";

const route = defineRoute({
  operationId: "listCampaigns",
  method: "get",
  path: "/",
  tags: ["Campaigns"],
  summary: "List campaigns",
  description: "Needs `read:campaigns`. Newest first; filter by `status` (derived from the dates and the pause switch).",
  security: BEARER,
  request: { query: paginationQuery("cmp").extend(ListCampaignsQuery.shape) },
  responses: { 200: jsonContent(listSchema(Campaign), "A page of campaigns"), ...errorResponses([]) },
});

export default createRouter().openapi(route, async (c) => c.json(await listCampaigns(serviceContext(c), c.req.valid("query")), 200));
