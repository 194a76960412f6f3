import { rollbackRedemption } from "../../services/redemptions";
import { serviceContext } from "../context";
import { BEARER, createRouter, defineRoute, errorResponses, jsonBody, jsonContent } from "../openapi";
import { CodeParams, Redemption, RollbackBody } from "./schema";

const route = defineRoute({
  operationId: "rollbackRedemption",
  method: "post",
  path: "/{code}/rollback",
  tags: ["Vouchers"],
  summary: "Roll back a redemption",
  description:
    "Needs `redeem:vouchers`. Within 30 minutes of the redemption; restores the count, the customer's count and the balance. Past the window → 422 `rollback_window_expired`; twice → 409 `already_rolled_back`.",
  security: BEARER,
  agentOperation: "rollback_redemption",
  request: { params: CodeParams, ...jsonBody(RollbackBody) },
  responses: {
    200: jsonContent(Redemption, "The redemption, rolled back"),
    ...errorResponses(["voucher_not_found", "not_found", "rollback_window_expired", "already_rolled_back"]),
  },
});

export default createRouter().openapi(route, async (c) =>
  c.json(await rollbackRedemption(serviceContext(c), c.req.valid("param").code, c.req.valid("json")), 200),
);
