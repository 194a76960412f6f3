import { z } from "@hono/zod-openapi";

/** Keys that name parts of every JavaScript object: refused, so no map built from metadata can reach a prototype. */
const RESERVED_KEYS = ["__proto__", "constructor", "prototype"];

/** zod drops a `__proto__` key from records without a word; this names it instead, before the record is read. */
function refuseProtoKey(value: unknown, ctx: z.RefinementCtx) {
  if (typeof value === "object" && value !== null && Object.hasOwn(value, "__proto__")) {
    ctx.addIssue({ code: "custom", path: ["__proto__"], message: "reserved key", input: value });
  }
  return value;
}

/** Free-form key/value data on a resource: up to 50 keys of 1–40 characters, string values up to 500 characters. */
export const Metadata = z
  .preprocess(
    refuseProtoKey,
    z
      .record(
        z.string().min(1).max(40).refine((key) => !RESERVED_KEYS.includes(key), "reserved key"),
        z.string().max(500),
      )
      .refine((value) => Object.keys(value).length <= 50, "at most 50 keys"),
  )
  .openapi("Metadata", {
    example: { segment: "vip" },
    maxProperties: 50,
    description: `Up to 50 keys of 1–40 characters (not ${RESERVED_KEYS.map((k) => `\`${k}\``).join(", ")}), string values up to 500 characters.`,
  });

/** A customer is identified by the merchant's own id: printable ASCII (0x21–0x7E), no space and no `/`. */
export const CustomerId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\x21-\x2e\x30-\x7e]+$/, "must be printable ASCII characters, without spaces or /")
  .openapi({ example: "cus-42" });

/**
 * A PATCH body: the `mutable` fields, plus the resource's other fields, accepted here only so the service can refuse
 * them with 422 unsupported_field (a field the resource has but cannot change). Anything else is unknown: 400.
 */
export function patchBody<M extends z.ZodRawShape>(mutable: M, resource: { shape: z.ZodRawShape }) {
  const fixed = Object.keys(resource.shape).filter((key) => !(key in mutable) && key !== "dry_run");
  const refused = z.unknown().optional().openapi({ readOnly: true, description: "Cannot be changed: 422 `unsupported_field`." });
  const immutable: Record<string, typeof refused> = Object.fromEntries(fixed.map((key) => [key, refused]));
  return z.strictObject({ ...immutable, ...mutable });
}

/** An RFC 3339 time (an offset is accepted; answers are always UTC). */
export const Timestamp = z.iso.datetime({ offset: true }).openapi({ example: "2026-11-22T17:00:00Z" });

/** `?from&to`: a half-open window [from, to) of RFC 3339 times; either side may be left open (services check from < to). */
export const TimeWindowQuery = z.object({
  from: Timestamp.optional().openapi({ description: "Start of the window (inclusive), RFC 3339." }),
  to: Timestamp.optional().openapi({ description: "End of the window (exclusive), RFC 3339." }),
});
