import { buildApp } from "./app";
import type { Env } from "./env";
import { type AuditEntry, consumeAudit } from "./queues/audit";
import { drainAuditDeadLetters } from "./queues/audit-dead-letters";
import { consumeBulk } from "./queues/bulk";
import { drainBulkDeadLetters } from "./queues/bulk-dead-letters";
import { drainWebhookDeadLetters } from "./queues/webhook-dead-letters";
import { consumeWebhooks } from "./queues/webhooks";
import { sweepApprovals } from "./services/approval-sweeps";
import { consumeLedger } from "./queues/ledger";
import { drainLedgerDeadLetters } from "./queues/ledger-dead-letters";
import { sweepWebhooks } from "./queues/webhook-dispatch";
import { pruneWebhookHistory } from "./queues/webhook-retention";

export { CampaignObject } from "./objects/campaign";
export { CredentialObject } from "./objects/credential";
export { IdempotencyObject } from "./objects/idempotency";
export { VoucherObject } from "./objects/voucher";

const app = buildApp();

/** Queues are named `vauchflow-<kind>-<environment>` in wrangler.toml; the kind picks the consumer. */
const kindOf = (queue: string) => /^vauchflow-([a-z-]+)-(?:local|staging|production)$/.exec(queue)?.[1];

export default {
  fetch: app.fetch,
  /**
   * Every minute (wrangler.toml [triggers]): agent approvals nobody decided in time expire by themselves; webhook
   * events no request dispatched (its waitUntil died) are dispatched, and deliveries whose message was lost are
   * queued again.
   */
  async scheduled(_controller: ScheduledController, env: Env) {
    const approvals = await sweepApprovals(env);
    if (approvals.expired > 0 || approvals.interrupted > 0) console.log(JSON.stringify({ level: "info", event: "approvals_swept", ...approvals }));
    const swept = await sweepWebhooks(env);
    if (swept.events > 0 || swept.requeued > 0) console.log(JSON.stringify({ level: "info", event: "webhooks_swept", ...swept }));
    const pruned = await pruneWebhookHistory(env);
    if (pruned.deliveries > 0 || pruned.events > 0) console.log(JSON.stringify({ level: "info", event: "webhook_history_pruned", ...pruned }));
  },
  async queue(batch: MessageBatch, env: Env) {
    switch (kindOf(batch.queue)) {
      case "audit":
        return consumeAudit(batch as MessageBatch<AuditEntry>, env);
      case "audit-dlq":
        return drainAuditDeadLetters(batch as MessageBatch<AuditEntry>, env);
      case "bulk":
        return consumeBulk(batch, env);
      case "bulk-dlq":
        return drainBulkDeadLetters(batch, env);
      case "webhooks":
        return consumeWebhooks(batch, env);
      case "webhooks-dlq":
        return drainWebhookDeadLetters(batch, env);
      case "ledger":
        return consumeLedger(batch, env);
      case "ledger-dlq":
        return drainLedgerDeadLetters(batch, env);
    }
    // Only a [[queues.consumers]] entry in wrangler.toml sends a queue here, so this one has an entry but no
    // handler. Fail loudly rather than re-queue quietly: the queue retries the batch up to that entry's
    // max_retries, then moves it to its dead_letter_queue if it names one, else deletes it. To fix: add a case
    // above (with its test), or remove the consumer entry until its handler exists.
    console.error(JSON.stringify({ level: "error", event: "queue_without_handler", queue: batch.queue, messages: batch.messages.length }));
    throw new Error(`No consumer for queue ${batch.queue}: add one in src/index.ts or remove its [[queues.consumers]] entry.`);
  },
} satisfies ExportedHandler<Env>;
