// Bulk code generation: the request creates a job and enqueues its chunks; a Queue consumer makes the codes
// (queues/bulk.ts). A job's codes are the vouchers tagged with its id, so progress is counted, never tracked.
import { and, eq } from "drizzle-orm";
import { newEvent } from "../domain/webhook-events";
import type { ServiceContext } from "../env";
import { ApiError } from "../errors";
import { database, schema, statementOf } from "../db/client";
import { type CodePattern, codeSpace, fits, SPACE_MARGIN } from "../lib/code-pattern";
import { escapeLike } from "../lib/codes";
import { csvStream } from "../lib/csv";
import { newId } from "../lib/ids";
import { iso } from "../lib/time";
import { requireScope, requireTeam } from "./access";
import { findCampaign } from "./campaigns";
import { dispatchAfterResponse, eventStatements } from "./webhook-outbox";

export const CHUNK_SIZE = 1000;
export type BulkMessage = { kind: "bulk_chunk"; jobId: string; teamId: string; chunk: number };
type JobRow = typeof schema.bulkJobs.$inferSelect;

export function renderJob(job: JobRow, generated: number) {
  return {
    id: job.id,
    object: "job" as const,
    status: job.status,
    count: job.count,
    generated_count: generated,
    campaign_id: job.campaignId,
    error: job.error,
    created_at: iso(job.createdAt),
    completed_at: iso(job.completedAt),
  };
}

/** The team's codes of the pattern's shape (prefix, suffix, length): they take room in its space. */
async function codesInPattern(db: D1Database, teamId: string, p: CodePattern): Promise<number> {
  const row = await db
    .prepare("SELECT count(*) AS n FROM vouchers WHERE team_id = ? AND length(code) = ? AND code LIKE ? ESCAPE '\\'")
    .bind(teamId, p.prefix.length + p.length + p.suffix.length, `${escapeLike(p.prefix)}%${escapeLike(p.suffix)}`)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

export const generatedCount = async (db: D1Database, jobId: string) =>
  (await db.prepare("SELECT count(*) AS n FROM vouchers WHERE bulk_job_id = ?").bind(jobId).first<{ n: number }>())?.n ?? 0;

export async function createBulkJob(ctx: ServiceContext, input: { campaign_id: string; count: number; code_pattern?: CodePattern }) {
  requireScope(ctx.actor, "write:vouchers");
  const teamId = requireTeam(ctx.actor);
  const campaign = await findCampaign(ctx, input.campaign_id);
  // The code space is checked after: what it counts changes once the job runs, and a replay must still answer.
  await ctx.authorize(teamId, { operation: "bulk_create_vouchers", input, codes: input.count });
  const pattern = input.code_pattern ?? (campaign.codePattern as CodePattern);
  const existing = await codesInPattern(ctx.env.DB, teamId, pattern);
  if (!fits(pattern, input.count, existing)) {
    throw new ApiError(
      "code_space_too_small",
      `The pattern allows ${codeSpace(pattern)} codes and the team already holds ${existing} of its shape; ${input.count} more need a space of at least ${(input.count + existing) * SPACE_MARGIN} (a ${SPACE_MARGIN}× margin keeps random codes from colliding). Lengthen the pattern or widen its charset.`,
      [{ path: "code_pattern.length", message: "too short for this count" }],
    );
  }
  const job: JobRow = {
    id: newId("job"),
    teamId,
    campaignId: campaign.id,
    count: input.count,
    chunkSize: CHUNK_SIZE,
    codePattern: pattern as unknown as Record<string, unknown>,
    status: "queued",
    error: null,
    createdAt: Date.now(),
    completedAt: null,
  };
  const db = database(ctx.env.DB);
  await db.insert(schema.bulkJobs).values(job);
  const chunks = Math.ceil(input.count / CHUNK_SIZE);
  const messages = Array.from({ length: chunks }, (_, chunk) => ({ body: { kind: "bulk_chunk", jobId: job.id, teamId, chunk } satisfies BulkMessage }));
  try {
    for (let i = 0; i < messages.length; i += 100) await ctx.env.BULK_QUEUE.sendBatch(messages.slice(i, i + 100));
  } catch (err) {
    const failed: JobRow = { ...job, status: "failed", error: "The job could not be queued.", completedAt: Date.now() };
    const event = newEvent(teamId, "bulk_job.failed", renderJob(failed, 0), { now: failed.completedAt ?? undefined });
    await ctx.env.DB.batch([
      statementOf(ctx.env.DB, db.update(schema.bulkJobs).set({ status: "failed", error: failed.error, completedAt: failed.completedAt }).where(eq(schema.bulkJobs.id, job.id))),
      ...eventStatements(ctx.env.DB, [event]),
    ]);
    dispatchAfterResponse(ctx, [event]);
    throw err;
  }
  return renderJob(job, 0);
}

async function findJob(ctx: ServiceContext, id: string): Promise<JobRow> {
  requireScope(ctx.actor, "read:vouchers");
  const teamId = requireTeam(ctx.actor);
  const job = await database(ctx.env.DB)
    .select()
    .from(schema.bulkJobs)
    .where(and(eq(schema.bulkJobs.id, id), eq(schema.bulkJobs.teamId, teamId)))
    .get();
  if (!job) throw new ApiError("not_found", "No job with this id.");
  return job;
}

export async function getJob(ctx: ServiceContext, id: string) {
  const job = await findJob(ctx, id);
  return renderJob(job, job.status === "completed" ? job.count : await generatedCount(ctx.env.DB, job.id));
}

/** The job's codes as CSV, streamed page by page. */
export async function jobCodesCsv(ctx: ServiceContext, id: string): Promise<ReadableStream<Uint8Array>> {
  const job = await findJob(ctx, id);
  return csvStream(
    ["code", "voucher_id"],
    async (after: { id: string; code: string } | null) =>
      (
        await ctx.env.DB.prepare(`SELECT id, code FROM vouchers WHERE bulk_job_id = ? AND team_id = ? ${after ? "AND id > ?" : ""} ORDER BY id LIMIT 1000`)
          .bind(job.id, job.teamId, ...(after ? [after.id] : []))
          .all<{ id: string; code: string }>()
      ).results,
    (row) => [row.code, row.id],
  );
}
