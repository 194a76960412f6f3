import { z } from "@hono/zod-openapi";

export const Job = z
  .object({
    id: z.string().openapi({ example: "job_01JD…" }),
    object: z.literal("job"),
    status: z.enum(["queued", "running", "completed", "failed"]),
    count: z.number().int(),
    generated_count: z.number().int(),
    campaign_id: z.string(),
    error: z.string().nullable(),
    created_at: z.string(),
    completed_at: z.string().nullable(),
  })
  .openapi("Job");

export const JobParams = z.object({ id: z.string().max(64).openapi({ param: { name: "id", in: "path" }, example: "job_01JD…" }) });
