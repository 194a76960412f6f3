import { campaignAnalytics } from "../../services/analytics";
import { serviceContext } from "../context";
import { BEARER, createRouter, defineRoute, errorResponses, jsonContent } from "../openapi";
import { CampaignAnalytics, CampaignAnalyticsParams, SeriesQuery } from "./schema";

const route = defineRoute({
  operationId: "getCampaignAnalytics",
  method: "get",
  path: "/campaigns/{id}",
  tags: ["Analytics"],
  summary: "A campaign's time series",
  description:
    "Needs `read:analytics`. Totals and one point per `interval` (hour or day, UTC) in `[from, to)` (default: from the campaign's creation to now; at most 2,000 points), counted in whole UTC hours like the overview (`from` down to its hour, `to` up to the next; the answer's `from` and `to` give the window counted, and with `interval=day` a first bucket that starts after midnight holds only the hours from `from` on): validations, standing redemptions, rollbacks and discount of redemptions made in each bucket. Every bucket is listed, zeros included.",
  security: BEARER,
  request: { params: CampaignAnalyticsParams, query: SeriesQuery },
  responses: { 200: jsonContent(CampaignAnalytics, "The series"), ...errorResponses(["not_found"]) },
});

export default createRouter().openapi(route, async (c) =>
  c.json(await campaignAnalytics(serviceContext(c), c.req.valid("param").id, c.req.valid("query")), 200),
);
