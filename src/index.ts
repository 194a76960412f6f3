import { buildApp } from "./app";
import type { Env } from "./env";
import { type AuditEntry, consumeAudit } from "./queues/audit";
import { consumeBulk } from "./queues/bulk";
import type { BulkMessage } from "./services/bulk";

export { CampaignObject } from "./objects/campaign";
export { CredentialObject } from "./objects/credential";
export { IdempotencyObject } from "./objects/idempotency";
export { VoucherObject } from "./objects/voucher";

const app = buildApp();

export default {
  fetch: app.fetch,
  async queue(batch: MessageBatch, env: Env) {
    if (batch.queue.startsWith("vauchflow-audit")) return consumeAudit(batch as MessageBatch<AuditEntry>, env);
    if (batch.queue.startsWith("vauchflow-bulk")) return consumeBulk(batch as MessageBatch<BulkMessage>, env);
    // A queue this worker does not consume yet: keep the messages for the consumer that will.
    console.error(JSON.stringify({ level: "error", queue: batch.queue, message: "no consumer for this queue" }));
    batch.retryAll({ delaySeconds: 60 });
  },
} satisfies ExportedHandler<Env>;
