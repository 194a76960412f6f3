import { listSchema, paginationQuery } from "../../lib/pagination";
import { listCustomerRedemptions } from "../../services/customers";
import { serviceContext } from "../context";
import { BEARER, createRouter, defineRoute, errorResponses, jsonContent } from "../openapi";
import { Redemption } from "../vouchers/schema";
import { CustomerParams } from "./schema";

const route = defineRoute({
  operationId: "getCustomerRedemptions",
  method: "get",
  path: "/{id}/redemptions",
  tags: ["Customers"],
  summary: "A customer's redemption history",
  description: "Needs `read:customers`. Newest first, rolled-back redemptions included (with `rolled_back_at`).",
  security: BEARER,
  request: { params: CustomerParams, query: paginationQuery("red") },
  responses: { 200: jsonContent(listSchema(Redemption), "A page of redemptions"), ...errorResponses(["not_found"]) },
});

export default createRouter().openapi(route, async (c) =>
  c.json(await listCustomerRedemptions(serviceContext(c), c.req.valid("param").id, c.req.valid("query")), 200),
);
