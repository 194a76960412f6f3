import { z } from "@hono/zod-openapi";
import { exportCustomer } from "../../services/customer-export";
import { serviceContext } from "../context";
import { BEARER, createRouter, defineRoute, errorResponses } from "../openapi";
import { FraudAlert } from "../analytics/schema";
import { Redemption, Reservation } from "../vouchers/schema";
import { Customer, CustomerParams } from "./schema";

const CustomerExport = z
  .object({
    object: z.literal("customer_export"),
    exported_at: z.string(),
    customer: Customer.nullable().openapi({ description: "The profile; null for an id never registered that only made reservations." }),
    reservations: z.array(Reservation).openapi({ description: "Held ones, and ended ones until their voucher prunes them." }),
    fraud_alerts: z.array(FraudAlert).openapi({ description: "The `customer_velocity` alerts that name the customer." }),
    redemptions: z.array(Redemption),
  })
  .openapi("CustomerExport");

const route = defineRoute({
  operationId: "exportCustomer",
  method: "get",
  path: "/{id}/export",
  tags: ["Customers"],
  summary: "Export everything held about a customer",
  description:
    "Needs `read:customers`. For a data-subject access request, everything held about the id: the profile (id, metadata, created_at), the reservations the vouchers keep (held ones, and ended ones until pruned), the `customer_velocity` fraud alerts that name it, and every redemption, rolled-back ones included. An id never registered that made reservations can be exported too (`customer: null`); any other unknown id is 404. `format=json` (default): `{object: \"customer_export\", exported_at, customer, reservations, fraud_alerts, redemptions: [...]}`; `format=csv`: one `customer` record (when registered), one `reservation` record per reservation (with `expires_at` and `redemption_id`), one `fraud_alert` record per alert (its type, severity, count, window and last sighting as JSON in `detail`), then one `redemption` record per redemption. Redemptions are streamed.",
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
