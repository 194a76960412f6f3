import { analyticsOverview } from "../../services/analytics";
import { serviceContext } from "../context";
import { BEARER, createRouter, defineRoute, errorResponses, jsonContent } from "../openapi";
import { Overview, WindowQuery } from "./schema";

const route = defineRoute({
  operationId: "getAnalyticsOverview",
  method: "get",
  path: "/overview",
  tags: ["Analytics"],
  summary: "Analytics overview",
  description:
    "Needs `read:analytics`. Campaign and voucher counts as of now; redemptions, discounts and validations made in `[from, to)`, counted in whole UTC hours (`from` down to its hour, `to` up to the next). `redemptions.count` counts redemptions made in the window that still stand, `rolled_back` those of them rolled back since; `discount_total` sums the standing ones. Kept up to date by the checkout path; may trail it by a few seconds.",
  security: BEARER,
  request: { query: WindowQuery },
  responses: { 200: jsonContent(Overview, "The overview"), ...errorResponses([]) },
});

export default createRouter().openapi(route, async (c) => c.json(await analyticsOverview(serviceContext(c), c.req.valid("query")), 200));
