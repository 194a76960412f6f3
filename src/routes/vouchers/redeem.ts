import { redeemVoucher } from "../../services/redemptions";
import { serviceContext } from "../context";
import { BEARER, createRouter, defineRoute, errorResponses, jsonBody, jsonContent } from "../openapi";
import { CodeParams, RedeemBody, Redemption } from "./schema";

const route = defineRoute({
  operationId: "redeemVoucher",
  method: "post",
  path: "/{code}/redeem",
  tags: ["Vouchers"],
  summary: "Redeem a code, exactly once",
  description:
    "Needs `redeem:vouchers`. Atomic in the voucher's own object: limits, the per-customer limit, the gift-card balance and duplicate `order.id` are checked and updated together. Limit reached → 409; the same order again (or an order a held reservation holds) → 409 `duplicate_redemption`; any other rule → 422 `voucher_not_eligible` with `reason`. With `reservation_id`, redeems that held reservation with its amounts and cannot fail for limits, budget or balance: unknown on this voucher → 404 `not_found`; no longer held → 409 `reservation_not_held`; a given field that differs from it → 422 `reservation_mismatch`.",
  security: BEARER,
  agentOperation: "redeem_voucher",
  request: { params: CodeParams, ...jsonBody(RedeemBody) },
  responses: {
    201: jsonContent(Redemption, "The redemption"),
    ...errorResponses([
      "voucher_not_found",
      "not_found",
      "redemption_limit_reached",
      "customer_limit_reached",
      "duplicate_redemption",
      "reservation_not_held",
      "voucher_not_eligible",
      "reservation_mismatch",
    ]),
  },
});

export default createRouter().openapi(route, async (c) =>
  c.json(await redeemVoucher(serviceContext(c), c.req.valid("param").code, c.req.valid("json")), 201),
);
