import { z } from "@hono/zod-openapi";
import { exportCustomer } from "../../services/customer-export";
import { serviceContext } from "../context";
import { BEARER, createRouter, defineRoute, errorResponses } from "../openapi";
import { Redemption } from "../vouchers/schema";
import { Customer, CustomerParams } from "./schema";

const CustomerExport = z
  .object({ object: z.literal("customer_export"), exported_at: z.string(), customer: Customer, redemptions: z.array(Redemption) })
  .openapi("CustomerExport");

const route = defineRoute({
  operationId: "exportCustomer",
  method: "get",
  path: "/{id}/export",
  tags: ["Customers"],
  summary: "Export everything held about a customer",
  description:
    "Needs `read:customers`. For a data-subject access request: the profile (id, metadata, created_at) and every redemption, rolled-back ones included. `format=json` (default): `{object: \"customer_export\", exported_at, customer, redemptions: [...]}`; `format=csv`: one `customer` record, then one `redemption` record per redemption. Streamed.",
  security: BEARER,
  request: { params: CustomerParams, query: z.object({ format: z.enum(["json", "csv"]).default("json").openapi({ description: "`json` or `csv`." }) }) },
  responses: {
    200: { description: "The export", content: { "application/json": { schema: CustomerExport }, "text/csv": { schema: z.string() } } },
    ...errorResponses(["not_found"]),
  },
});

export default createRouter().openapi(route, async (c) => {
  const { id } = c.req.valid("param");
  const { format } = c.req.valid("query");
  const stream = await exportCustomer(serviceContext(c), id, format);
  const type = format === "csv" ? "text/csv; charset=utf-8" : "application/json; charset=utf-8";
  return c.body(stream, 200, { "Content-Type": type, "Content-Disposition": `attachment; filename="customer-export.${format}"` });
});
