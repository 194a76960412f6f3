import { z } from "@hono/zod-openapi";
import { jobCodesCsv } from "../../services/bulk";
import { serviceContext } from "../context";
import { BEARER, createRouter, defineRoute, errorResponses } from "../openapi";
import { JobParams } from "./schema";

const route = defineRoute({
  operationId: "getJobCodes",
  method: "get",
  path: "/{id}/codes",
  tags: ["Jobs"],
  summary: "A bulk job's codes as CSV",
  description: "Needs `read:vouchers`. Streams `code,voucher_id` rows; while the job runs, the codes made so far.",
  security: BEARER,
  request: { params: JobParams },
  responses: { 200: { description: "CSV", content: { "text/csv": { schema: z.string() } } }, ...errorResponses(["not_found"]) },
});

export default createRouter().openapi(route, async (c) => {
  const stream = await jobCodesCsv(serviceContext(c), c.req.valid("param").id);
  return c.body(stream, 200, { "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": 'attachment; filename="codes.csv"' });
});
