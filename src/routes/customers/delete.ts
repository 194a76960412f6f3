import { eraseCustomer } from "../../services/customer-erasure";
import { serviceContext } from "../context";
import { BEARER, createRouter, defineRoute, errorResponses } from "../openapi";
import { CustomerParams } from "./schema";

const route = defineRoute({
  operationId: "deleteCustomer",
  method: "delete",
  path: "/{id}",
  tags: ["Customers"],
  summary: "Erase a customer (GDPR)",
  description: [
    "Needs `write:customers`. The profile and its metadata are deleted. The customer's redemptions and reservations stay for accounting with the id replaced by a random pseudonym everywhere it was held: the redemption history, reports, approvals, webhook events, audit paths, fraud alerts, and the voucher and campaign objects' own storage — including vouchers the customer only reserved (held, released or expired) and never redeemed, whose reservations then read under the pseudonym. Per-customer limits keep counting the pseudonym's past redemptions.",
    "An id that was never registered but made reservations (a reservation registers no one) is erased the same way, once its reservations have reached the history (seconds). Afterwards the id is unknown (404) and can be registered again as a new customer. A redemption or reservation made just before the erasure that reaches the history later is renamed on arrival. Agent keys: held for approval by the default policy.",
  ].join("\n\n"),
  security: BEARER,
  agentOperation: "delete_customer",
  request: { params: CustomerParams },
  responses: { 204: { description: "Erased" }, ...errorResponses(["not_found"]) },
});

export default createRouter().openapi(route, async (c) => {
  await eraseCustomer(serviceContext(c), c.req.valid("param").id);
  return c.body(null, 204);
});
