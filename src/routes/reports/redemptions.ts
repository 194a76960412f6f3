import { z } from "@hono/zod-openapi";
import { redemptionsReportCsv } from "../../services/reports";
import { serviceContext } from "../context";
import { BEARER, createRouter, defineRoute, errorResponses } from "../openapi";
import { TimeWindowQuery } from "../shared-schema";

const ReportQuery = TimeWindowQuery.extend({
  campaign_id: z.string().regex(/^cmp_[0-9A-HJKMNP-TV-Z]{26}$/, "a campaign id (cmp_…)").optional().openapi({ description: "Only this campaign's redemptions." }),
});

const route = defineRoute({
  operationId: "redemptionsReport",
  method: "get",
  path: "/redemptions",
  tags: ["Reports"],
  summary: "Redemption report (CSV)",
  description: [
    "Needs `read:analytics`. `text/csv` (RFC 4180), streamed with constant memory, ordered by time: one row per redemption made in the window (`event` `redemption`) and one per rollback made in it (`event` `rollback`, with a negative `discount_amount`, so the column sums to the standing total).",
    "Columns: `event, at, redemption_id, voucher_id, code, campaign_id, customer_id, order_id, order_amount, discount_amount, currency, redeemed_at, rollback_reason`. Money in minor units. May trail the checkout by a few seconds.",
  ].join("\n\n"),
  security: BEARER,
  request: { query: ReportQuery },
  responses: {
    200: { description: "The report", content: { "text/csv": { schema: z.string() } } },
    ...errorResponses(["not_found"]),
  },
});

export default createRouter().openapi(route, async (c) => {
  const stream = await redemptionsReportCsv(serviceContext(c), c.req.valid("query"));
  return c.body(stream, 200, { "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": 'attachment; filename="redemptions.csv"' });
});
