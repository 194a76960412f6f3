import { patchVoucher } from "../../services/vouchers";
import { serviceContext } from "../context";
import { BEARER, createRouter, defineRoute, errorResponses, jsonBody, jsonContent } from "../openapi";
import { CodeParams, PatchVoucherBody, Voucher } from "./schema";

const route = defineRoute({
  operationId: "updateVoucher",
  method: "patch",
  path: "/{code}",
  tags: ["Vouchers"],
  summary: "Update a voucher",
  description: "Needs `write:vouchers`. Only `metadata`, `expires_at` and `active`; other fields → 422 `unsupported_field`. The next validate or redeem sees the change.",
  security: BEARER,
  agentOperation: "update_voucher",
  request: { params: CodeParams, ...jsonBody(PatchVoucherBody) },
  responses: { 200: jsonContent(Voucher, "The updated voucher"), ...errorResponses(["voucher_not_found", "unsupported_field"]) },
});

export default createRouter().openapi(route, async (c) =>
  c.json(await patchVoucher(serviceContext(c), c.req.valid("param").code, c.req.valid("json")), 200),
);
