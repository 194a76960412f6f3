import { reserveVoucher } from "../../services/reservations";
import { serviceContext } from "../context";
import { BEARER, createRouter, defineRoute, errorResponses, jsonBody, jsonContent } from "../openapi";
import { CodeParams, Reservation, ReserveBody } from "./schema";

const route = defineRoute({
  operationId: "reserveVoucher",
  method: "post",
  path: "/{code}/reserve",
  tags: ["Vouchers"],
  summary: "Hold a code while the customer pays",
  description:
    "Needs `redeem:vouchers` (publishable keys cannot reserve; no dry-run). Checked exactly as a redeem, with the same 404/409/422 answers; when allowed, the voucher is held for `ttl_seconds`: the hold counts against the redemption limit, the per-customer limit, a gift card's balance and the campaign's budget, and its `order.id` cannot be redeemed any other way. Redeem it with `POST /v1/vouchers/{code}/redeem` `{\"reservation_id\": …}`; release it with `DELETE /v1/vouchers/{code}/reservations/{id}`; at `expires_at` everything it held is given back by itself. Safe to retry with an `Idempotency-Key`.",
  security: BEARER,
  agentOperation: "reserve_voucher",
  request: { params: CodeParams, ...jsonBody(ReserveBody) },
  responses: {
    201: jsonContent(Reservation, "The reservation, held"),
    ...errorResponses(["voucher_not_found", "redemption_limit_reached", "customer_limit_reached", "duplicate_redemption", "voucher_not_eligible"]),
  },
});

export default createRouter().openapi(route, async (c) =>
  c.json(await reserveVoucher(serviceContext(c), c.req.valid("param").code, c.req.valid("json")), 201),
);
