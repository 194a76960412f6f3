// Analytics tools: the same verb and zod schema as GET /v1/analytics/overview.
import { WindowQuery } from "../../routes/analytics/schema";
import { analyticsOverview } from "../../services/analytics";
import { defineTool } from "../tool";

export const analyticsTools = [
  defineTool({
    name: "get_analytics_overview",
    title: "Analytics overview",
    description:
      "Campaign and voucher counts now; standing redemptions, rollbacks, discount total, validations and the redemption rate in [from, to) (RFC 3339; whole UTC hours). Both bounds are optional.",
    scope: "read:analytics",
    annotations: { readOnlyHint: true, openWorldHint: false },
    input: WindowQuery.strict(),
    run: (ctx, query) => analyticsOverview(ctx, query),
  }),
];
