import { z } from "@hono/zod-openapi";
import { listSchema, paginationQuery } from "../../lib/pagination";
import { exportVouchersCsv, listVouchers } from "../../services/voucher-list";
import { serviceContext } from "../context";
import { BEARER, createRouter, defineRoute, errorResponses } from "../openapi";
import { ListVouchersQuery, Voucher } from "./schema";

const route = defineRoute({
  operationId: "listVouchers",
  method: "get",
  path: "/",
  tags: ["Vouchers"],
  summary: "List vouchers",
  description: "Needs `read:vouchers`. Newest first. `redemptions_count` here is the listing copy, updated moments after each redemption.",
  security: BEARER,
  request: { query: paginationQuery("vch").extend(ListVouchersQuery.shape) },
  responses: {
    200: {
      description: "A page of vouchers, or with format=csv every matching voucher as CSV",
      content: { "application/json": { schema: listSchema(Voucher) }, "text/csv": { schema: z.string() } },
    },
    ...errorResponses([]),
  },
});

export default createRouter().openapi(route, async (c) => {
  const { format, limit, cursor, ...filters } = c.req.valid("query");
  const ctx = serviceContext(c);
  if (format === "csv") {
    return c.body(exportVouchersCsv(ctx, filters), 200, {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": 'attachment; filename="vouchers.csv"',
    });
  }
  return c.json(await listVouchers(ctx, { ...filters, limit, cursor }), 200);
});
