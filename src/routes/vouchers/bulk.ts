import { z } from "@hono/zod-openapi";
import { createBulkJob } from "../../services/bulk";
import { CodePatternSchema } from "../campaigns/schema";
import { Job } from "../jobs/schema";
import { serviceContext } from "../context";
import { BEARER, createRouter, defineRoute, errorResponses, jsonBody, jsonContent } from "../openapi";

const BulkBody = z
  .strictObject({
    campaign_id: z.string().min(1).max(64),
    count: z.number().int().min(1).max(50_000),
    code_pattern: CodePatternSchema.optional().openapi({ description: "Default: the campaign's code pattern." }),
  })
  .openapi("BulkVouchersRequest");

const route = defineRoute({
  operationId: "createVouchersInBulk",
  method: "post",
  path: "/bulk",
  tags: ["Vouchers"],
  summary: "Generate codes in bulk",
  description:
    "Needs `write:vouchers`. Answers 202 with a job at once; the codes are generated in the background (a Queue, in chunks) and the job ends with exactly `count` unique codes or `failed`. A pattern too small for the count → 422 `code_space_too_small`. No dry-run.",
  security: BEARER,
  agentOperation: "bulk_create_vouchers",
  request: jsonBody(BulkBody),
  responses: { 202: jsonContent(Job, "The job, queued"), ...errorResponses(["not_found", "code_space_too_small"]) },
});

export default createRouter().openapi(route, async (c) => c.json(await createBulkJob(serviceContext(c), c.req.valid("json")), 202));
