import { buildApp } from "./app";
import type { Env } from "./env";
import { type AuditEntry, consumeAudit } from "./queues/audit";
import { drainAuditDeadLetters } from "./queues/audit-dead-letters";
import { consumeBulk } from "./queues/bulk";
import type { BulkMessage } from "./services/bulk";

export { CampaignObject } from "./objects/campaign";
export { CredentialObject } from "./objects/credential";
export { IdempotencyObject } from "./objects/idempotency";
export { VoucherObject } from "./objects/voucher";

const app = buildApp();

/** Queues are named `vauchflow-<kind>-<environment>` in wrangler.toml; the kind picks the consumer. */
const kindOf = (queue: string) => /^vauchflow-([a-z-]+)-(?:local|staging|production)$/.exec(queue)?.[1];

export default {
  fetch: app.fetch,
  async queue(batch: MessageBatch, env: Env) {
    switch (kindOf(batch.queue)) {
      case "audit":
        return consumeAudit(batch as MessageBatch<AuditEntry>, env);
      case "audit-dlq":
        return drainAuditDeadLetters(batch as MessageBatch<AuditEntry>, env);
      case "bulk":
        return consumeBulk(batch as MessageBatch<BulkMessage>, env);
    }
    // A queue this worker does not consume yet: keep the messages for the consumer that will.
    console.error(JSON.stringify({ level: "error", queue: batch.queue, message: "no consumer for this queue" }));
    batch.retryAll({ delaySeconds: 60 });
  },
} satisfies ExportedHandler<Env>;
