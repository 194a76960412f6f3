import { z } from "@hono/zod-openapi";
import { type IdPrefix, ID_BODY_LENGTH } from "./ids";

/** Digits only: `0x10`, `1e1` or ` 5` are not a page size, even though Number() would take them. */
const digitsToNumber = (value: unknown) => (typeof value === "string" && /^[0-9]{1,6}$/.test(value) ? Number(value) : value);

/**
 * `?limit&cursor` of a list whose rows are ordered by ids with `prefix`: the cursor is the id of the last row of
 * the previous page, so anything else (a garbage value, a repeated parameter) is a malformed request, not an
 * empty page.
 */
export function paginationQuery(prefix: IdPrefix) {
  return z.object({
    limit: z
      .preprocess(digitsToNumber, z.number().int().min(1).max(100))
      .default(20)
      .openapi({ type: "integer", minimum: 1, maximum: 100, default: 20, description: "Page size, 1–100." }),
    cursor: z
      .string()
      .regex(new RegExp(`^${prefix}_[0-9A-HJKMNP-TV-Z]{${ID_BODY_LENGTH}}$`), "must be the next_cursor of a previous page of this list")
      .optional()
      .openapi({ description: "`next_cursor` of the previous page.", example: `${prefix}_01JD0000000000000000000000` }),
  });
}

export function listSchema<T extends z.ZodTypeAny>(item: T) {
  return z.object({ data: z.array(item), has_more: z.boolean(), next_cursor: z.string().nullable() });
}

/** Turns `limit + 1` fetched rows into a page; the cursor is the sort key of the last row returned (its id). */
export function page<Row, Out>(rows: Row[], limit: number, render: (row: Row) => Out, cursorOf: (row: Row) => string = (row) => (row as { id: string }).id) {
  const hasMore = rows.length > limit;
  const kept = hasMore ? rows.slice(0, limit) : rows;
  const last = kept[kept.length - 1];
  return { data: kept.map(render), has_more: hasMore, next_cursor: hasMore && last !== undefined ? cursorOf(last) : null };
}
