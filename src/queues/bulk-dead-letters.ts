// The bulk queue's dead-letter queue: chunks the bulk consumer could not handle on any of its retries, not even to
// mark their job failed (D1 unreachable for minutes). This consumer marks each one's job `failed` with a reason,
// so a job never stays `running` with a chunk gone; it retries every 5 minutes while D1 refuses, and logs one
// `bulk_dead_letters` line per delivery. A body that is not a chunk is logged whole (`bulk_message_malformed`).
import type { Env } from "../env";
import { chunkOf, failJob } from "./bulk";

export const BULK_DEAD_LETTER_RETRY_S = 300;

export async function drainBulkDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const jobs: string[] = [];
  let retrying = 0;
  let error: string | null = null;
  for (const message of batch.messages) {
    const body = chunkOf(batch.queue, message);
    if (!body) continue;
    try {
      await failJob(env, body.jobId, `Code generation failed: chunk ${body.chunk} could not be processed`);
      jobs.push(body.jobId);
      message.ack();
    } catch (err) {
      retrying += 1;
      error = err instanceof Error ? err.message : String(err);
      message.retry({ delaySeconds: BULK_DEAD_LETTER_RETRY_S });
    }
  }
  console.error(
    JSON.stringify({
      level: "error",
      event: "bulk_dead_letters",
      queue: batch.queue,
      received: batch.messages.length,
      job_ids: [...new Set(jobs)],
      retrying,
      ...(error ? { retry_in_s: BULK_DEAD_LETTER_RETRY_S, error } : {}),
    }),
  );
}
