import { createCustomer } from "../../services/customers";
import { serviceContext } from "../context";
import { BEARER, createRouter, defineRoute, errorResponses, jsonBody, jsonContent } from "../openapi";
import { CreateCustomerBody, Customer, DryRunFlag } from "./schema";

const route = defineRoute({
  operationId: "createCustomer",
  method: "post",
  path: "/",
  tags: ["Customers"],
  summary: "Register a customer",
  description: "Needs `write:customers`. Customers are also registered automatically on their first redemption.",
  security: BEARER,
  agentOperation: "create_customer",
  dryRun: true,
  request: jsonBody(CreateCustomerBody),
  responses: { 201: jsonContent(Customer.merge(DryRunFlag), "The customer"), ...errorResponses(["duplicate_customer"]) },
});

export default createRouter().openapi(route, async (c) => c.json(await createCustomer(serviceContext(c), c.req.valid("json")), 201));
