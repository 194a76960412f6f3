import { getVoucher } from "../../services/vouchers";
import { serviceContext } from "../context";
import { BEARER, createRouter, defineRoute, errorResponses, jsonContent } from "../openapi";
import { CodeParams, Voucher } from "./schema";

const route = defineRoute({
  operationId: "getVoucher",
  method: "get",
  path: "/{code}",
  tags: ["Vouchers"],
  summary: "Get a voucher",
  description: "Needs `read:vouchers`. `redemptions_count` and the gift-card balance are authoritative (read from the voucher's own object).",
  security: BEARER,
  request: { params: CodeParams },
  responses: { 200: jsonContent(Voucher, "The voucher"), ...errorResponses(["voucher_not_found"]) },
});

export default createRouter().openapi(route, async (c) => c.json(await getVoucher(serviceContext(c), c.req.valid("param").code), 200));
