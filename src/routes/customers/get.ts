import { z } from "@hono/zod-openapi";
import { getCustomer } from "../../services/customers";
import { serviceContext } from "../context";
import { BEARER, createRouter, defineRoute, errorResponses, jsonContent } from "../openapi";
import { Customer, CustomerParams } from "./schema";

const route = defineRoute({
  operationId: "getCustomer",
  method: "get",
  path: "/{id}",
  tags: ["Customers"],
  summary: "Get a customer",
  description: "Needs `read:customers`. `redemptions_count` counts live (not rolled-back) redemptions.",
  security: BEARER,
  request: { params: CustomerParams },
  responses: {
    200: jsonContent(Customer.extend({ redemptions_count: z.number().int() }), "The customer"),
    ...errorResponses(["not_found"]),
  },
});

export default createRouter().openapi(route, async (c) => c.json(await getCustomer(serviceContext(c), c.req.valid("param").id), 200));
