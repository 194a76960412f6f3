import { createVoucher } from "../../services/vouchers";
import { serviceContext } from "../context";
import { BEARER, createRouter, defineRoute, errorResponses, jsonBody, jsonContent } from "../openapi";
import { CreateVoucherBody, Voucher } from "./schema";

const route = defineRoute({
  operationId: "createVoucher",
  method: "post",
  path: "/",
  tags: ["Vouchers"],
  summary: "Create a voucher",
  description: "Needs `write:vouchers`. The code is given or generated; codes are unique within the team (409 `duplicate_code`).",
  security: BEARER,
  agentOperation: "create_voucher",
  dryRun: true,
  request: jsonBody(CreateVoucherBody),
  responses: { 201: jsonContent(Voucher, "The voucher"), ...errorResponses(["not_found", "duplicate_code"]) },
});

export default createRouter().openapi(route, async (c) => c.json(await createVoucher(serviceContext(c), c.req.valid("json")), 201));
