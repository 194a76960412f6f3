import { validateVoucher } from "../../services/redemptions";
import { serviceContext } from "../context";
import { BEARER, createRouter, defineRoute, errorResponses, jsonBody, jsonContent } from "../openapi";
import { CodeParams, ValidateBody, ValidateResult } from "./schema";

const route = defineRoute({
  operationId: "validateVoucher",
  method: "post",
  path: "/{code}/validate",
  tags: ["Vouchers"],
  summary: "Validate a code for an order",
  description:
    "Needs `validate:vouchers`; publishable keys may call it from their allowed origins (CORS). Consumes nothing. An ineligible voucher answers 200 with `valid: false` and a `reason`.",
  security: BEARER,
  agentOperation: "validate_voucher",
  changesState: false,
  request: { params: CodeParams, ...jsonBody(ValidateBody) },
  responses: { 200: jsonContent(ValidateResult, "Eligibility and discount"), ...errorResponses(["voucher_not_found", "origin_not_allowed"]) },
});

export default createRouter().openapi(route, async (c) =>
  c.json(await validateVoucher(serviceContext(c), c.req.valid("param").code, c.req.valid("json"), await c.get("validateSpeculation")), 200),
);
