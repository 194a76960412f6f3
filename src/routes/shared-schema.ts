import { z } from "@hono/zod-openapi";

/** Free-form key/value data on a resource: up to 50 keys, string values up to 500 characters. */
export const Metadata = z
  .record(z.string().min(1).max(40), z.string().max(500))
  .refine((value) => Object.keys(value).length <= 50, "at most 50 keys")
  .openapi("Metadata", { example: { segment: "vip" } });

/** A customer is identified by the merchant's own id. */
export const CustomerId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[^\s\/\x00-\x1f]+$/, "must not contain whitespace, control characters or /")
  .openapi({ example: "cus-42" });
