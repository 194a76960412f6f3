import { z } from "@hono/zod-openapi";

export const PaginationQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20).openapi({ description: "Page size, 1–100." }),
  cursor: z.string().max(200).optional().openapi({ description: "`next_cursor` of the previous page." }),
});

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
