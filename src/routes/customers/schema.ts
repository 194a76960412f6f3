import { z } from "@hono/zod-openapi";
import { CustomerId, Metadata } from "../shared-schema";

export const CreateCustomerBody = z.strictObject({ id: CustomerId, metadata: Metadata.optional() }).openapi("CreateCustomerRequest");

export const Customer = z
  .object({
    id: CustomerId.nullable().openapi({ description: "The merchant's id (null in a dry-run answer)." }),
    object: z.literal("customer"),
    metadata: Metadata,
    created_at: z.string(),
  })
  .openapi("Customer");

export const DryRunFlag = z.object({ dry_run: z.literal(true).optional() });

export const CustomerParams = z.object({ id: CustomerId.openapi({ param: { name: "id", in: "path" } }) });
