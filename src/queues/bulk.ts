// Bulk generation consumer. Each message is one chunk of a job (at most CHUNK_SIZE codes). A chunk's vouchers
// are tagged (bulk_job_id, bulk_chunk), and the insert itself is capped at what the chunk still lacks, counted
// inside the same statement: a redelivered, retried or concurrently delivered chunk can never add extra codes.
// Codes that collide with existing ones are skipped by the unique index and drawn again.
import { newEvent } from "../domain/webhook-events";
import type { Env } from "../env";
import { type CodePattern, generateCode } from "../lib/code-pattern";
import { idBody } from "../lib/ids";
import { type BulkMessage, generatedCount, renderJob } from "../services/bulk";
import { dispatchSafely, eventStatements } from "../services/webhook-outbox";
import type { CampaignRow } from "../services/campaign-store";
import { voucherTemplate } from "../services/vouchers";
import { schema, database } from "../db/client";
import { and, eq } from "drizzle-orm";

const MAX_DRAWS = 20;
/** After this many failed deliveries the job is marked failed rather than retried forever. */
export const MAX_CHUNK_ATTEMPTS = 8;

async function generateChunk(env: Env, message: BulkMessage): Promise<void> {
  const db = database(env.DB);
  const job = await db.select().from(schema.bulkJobs).where(and(eq(schema.bulkJobs.id, message.jobId), eq(schema.bulkJobs.teamId, message.teamId))).get();
  if (!job || job.status === "completed" || job.status === "failed") return;
  const campaign = (await db.select().from(schema.campaigns).where(eq(schema.campaigns.id, job.campaignId)).get()) as CampaignRow | undefined;
  if (!campaign) throw new Error("campaign not found");
  if (job.status === "queued") await db.update(schema.bulkJobs).set({ status: "running" }).where(and(eq(schema.bulkJobs.id, job.id), eq(schema.bulkJobs.status, "queued")));
  const size = Math.min(job.chunkSize, job.count - message.chunk * job.chunkSize);
  const pattern = job.codePattern as unknown as CodePattern;
  const t = voucherTemplate(job.teamId, {}, campaign, Date.now());
  const insert = env.DB.prepare(
    `INSERT INTO vouchers (id, code, team_id, campaign_id, type, discount, gift_card_amount, gift_card_balance, currency, redemption_limit,
        per_customer_limit, redemptions_count, rules, starts_at, expires_at, active, metadata, created_at, updated_at, bulk_job_id, bulk_chunk)
     SELECT 'vch_' || json_extract(value, '$[0]'), json_extract(value, '$[1]'), ?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7, ?8, 0, ?9, ?10, NULL, 1, '{}', ?11, ?11, ?12, ?13
       FROM json_each(?14) WHERE true
      LIMIT max(0, ?15 - (SELECT count(*) FROM vouchers WHERE bulk_job_id = ?12 AND bulk_chunk = ?13))
     ON CONFLICT (team_id, code) DO NOTHING`,
  );
  for (let draw = 0; draw < MAX_DRAWS; draw++) {
    const have = (await env.DB.prepare("SELECT count(*) AS n FROM vouchers WHERE bulk_job_id = ? AND bulk_chunk = ?").bind(job.id, message.chunk).first<{ n: number }>())?.n ?? 0;
    const missing = size - have;
    if (missing <= 0) break;
    // Draw a few more than needed so an occasional collision does not cost another round.
    const codes = new Set<string>();
    while (codes.size < missing + Math.ceil(missing / 50) + 2) codes.add(generateCode(pattern));
    const rows = [...codes].map((code) => [idBody(), code]);
    await insert
      .bind(job.teamId, campaign.id, t.type, t.discount ? JSON.stringify(t.discount) : null, t.giftCardAmount, t.currency, t.redemptionLimit, t.perCustomerLimit,
        JSON.stringify(t.rules), t.startsAt, t.createdAt, job.id, message.chunk, JSON.stringify(rows), size)
      .run();
  }
  const total = await generatedCount(env.DB, job.id);
  if (total >= job.count) {
    await finishJob(env, job, "completed", null);
    return;
  }
  const have = (await env.DB.prepare("SELECT count(*) AS n FROM vouchers WHERE bulk_job_id = ? AND bulk_chunk = ?").bind(job.id, message.chunk).first<{ n: number }>())?.n ?? 0;
  if (have < size) throw new Error(`chunk ${message.chunk} still lacks ${size - have} codes`);
}

type JobRow = Parameters<typeof renderJob>[0];

/**
 * Marks the job completed or failed, with its webhook event in the same transaction, written only if the job was
 * not in that state already (several chunks may finish or fail at once; a failed job can still complete).
 */
async function finishJob(env: Env, job: JobRow, status: "completed" | "failed", error: string | null): Promise<void> {
  const now = Date.now();
  const from = status === "completed" ? "status <> 'completed'" : "status NOT IN ('completed', 'failed')";
  const generated = status === "completed" ? job.count : await generatedCount(env.DB, job.id);
  const event = newEvent(job.teamId, `bulk_job.${status}`, renderJob({ ...job, status, error, completedAt: now }, generated), { now });
  await env.DB.batch([
    ...eventStatements(env.DB, [event], { sql: `EXISTS (SELECT 1 FROM bulk_jobs WHERE id = ? AND ${from})`, params: [job.id] }),
    env.DB.prepare(`UPDATE bulk_jobs SET status = ?, error = coalesce(?, error), completed_at = ? WHERE id = ? AND status <> 'completed'`).bind(status, error, now, job.id),
  ]);
  await dispatchSafely(env, [event.id]);
}

/** The message as a chunk of a job, or null when it is not one (another queue's message, a malformed body). */
export function parseBulkMessage(body: unknown): BulkMessage | null {
  if (typeof body !== "object" || body === null) return null;
  const m = body as Record<string, unknown>;
  if (m.kind !== "bulk_chunk" || typeof m.jobId !== "string" || typeof m.teamId !== "string" || !Number.isInteger(m.chunk) || (m.chunk as number) < 0) return null;
  return { kind: "bulk_chunk", jobId: m.jobId, teamId: m.teamId, chunk: m.chunk as number };
}

/** The chunk a message carries; one that carries none is logged and acknowledged, as no retry will make it one. */
export function chunkOf(queue: string, message: Message<unknown>): BulkMessage | null {
  const body = parseBulkMessage(message.body);
  if (!body) {
    logMalformed(queue, message);
    message.ack();
  }
  return body;
}

/** Logs a message that is not a chunk, with (the start of) its body. */
function logMalformed(queue: string, message: Message<unknown>) {
  const body = (() => {
    try {
      return String(JSON.stringify(message.body)).slice(0, 1000);
    } catch {
      return String(message.body).slice(0, 1000);
    }
  })();
  console.error(JSON.stringify({ level: "error", event: "bulk_message_malformed", queue, id: message.id, attempts: message.attempts, body }));
}

/** Seconds before a chunk that failed comes again: 2, 4, 8 … at most a minute. */
const chunkRetryDelay = (attempts: number) => Math.min(60, 2 ** attempts);

/**
 * Each message on its own: a chunk that fails is retried; after MAX_CHUNK_ATTEMPTS its job is marked failed. If
 * even that cannot be written (D1 down), the chunk is retried and, after the consumer's max_retries, moves to
 * the dead-letter queue, whose consumer (./bulk-dead-letters.ts) marks the job failed: it never stays running.
 */
export async function consumeBulk(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  for (const message of batch.messages) {
    const body = chunkOf(batch.queue, message);
    if (!body) continue;
    try {
      await generateChunk(env, body);
      message.ack();
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      if (message.attempts < MAX_CHUNK_ATTEMPTS) {
        message.retry({ delaySeconds: chunkRetryDelay(message.attempts) });
        continue;
      }
      try {
        await failJob(env, body.jobId, `Code generation failed: ${reason}`);
        message.ack();
      } catch (failure) {
        console.error(
          JSON.stringify({
            level: "error",
            event: "bulk_job_fail_failed",
            job_id: body.jobId,
            chunk: body.chunk,
            attempts: message.attempts,
            error: failure instanceof Error ? failure.message : String(failure),
          }),
        );
        message.retry({ delaySeconds: chunkRetryDelay(message.attempts) });
      }
    }
  }
}

/** Marks the job failed with this reason unless it is finished already (a missing job has nothing to mark). */
export async function failJob(env: Env, jobId: string, reason: string): Promise<void> {
  const job = await database(env.DB).select().from(schema.bulkJobs).where(eq(schema.bulkJobs.id, jobId)).get();
  if (job && job.status !== "completed" && job.status !== "failed") await finishJob(env, job, "failed", reason);
}
