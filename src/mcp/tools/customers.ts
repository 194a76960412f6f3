// Customer tools: the same verbs and zod schemas as the routes under /v1/customers.
import { z } from "zod";
import { paginationQuery } from "../../lib/pagination";
import { listCustomerRedemptions } from "../../services/customers";
import { CreateCustomerBody, CustomerParams } from "../../routes/customers/schema";
import { defineTool, IdempotencyKeyArg } from "../tool";

export const customerTools = [
  defineTool({
    name: "get_customer_redemptions",
    title: "A customer's redemptions",
    description: "Every redemption of a customer (the merchant's own id), newest first, rolled-back ones included. Pass next_cursor back as cursor for the next page.",
    scope: "read:customers",
    annotations: { readOnlyHint: true, openWorldHint: false },
    input: z.strictObject({ ...CustomerParams.shape, ...paginationQuery("red").shape }),
    run: (ctx, { id, ...page }) => listCustomerRedemptions(ctx, id, page),
  }),
  defineTool({
    name: "create_customer",
    title: "Register a customer",
    description: "Registers a customer under the merchant's own id, with optional metadata. An id already registered is refused (duplicate_customer).",
    scope: "write:customers",
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    input: CreateCustomerBody.safeExtend({ idempotency_key: IdempotencyKeyArg }),
    rest: ({ idempotency_key: _, ...body }) => ({ method: "POST", path: "/v1/customers", body }),
  }),
];
