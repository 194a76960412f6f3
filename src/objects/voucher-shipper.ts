// When and how a voucher object's outbox ships to the ledger queue. A timer ships it SHIP_DELAY_MS after a change,
// so one send carries every change of that second; the object's alarm, set at most once per SAFETY_ALARM_MS,
// ships whatever an object reset left behind, and paces the retries (with backoff) while sends fail.
import type { LedgerMessage } from "../domain/ledger";
import type { Outbox } from "./voucher-outbox";
import type { ValidationCounts } from "./voucher-validations";

/**
 * How long an entry waits in the outbox before it ships. A write to D1 per redemption halved checkout throughput
 * (BENCHMARKS.md); a send per redemption would cost the same way. D1 trails the object by this much plus the
 * queue's batching (max_batch_timeout) and the consumer's write.
 */
export const SHIP_DELAY_MS = 1000;
/** The alarm that ships the outbox should the object be reset before its timer fires. */
export const SAFETY_ALARM_MS = 10_000;
const MAX_BACKOFF_MS = 5 * 60 * 1000;
/** Sends per ship: a backlog (after an outage) drains a few sends at a time, the timer carrying on with the rest. */
const SENDS_PER_SHIP = 10;

type Identity = { id: string; teamId: string; code: string };

export class OutboxShipper {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private shipping: Promise<void> | null = null;
  /** Whether an alarm is known to be set: then a change need not set one. */
  private alarmArmed = false;
  private failures = 0;

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly outbox: Outbox,
    private readonly validations: ValidationCounts,
    private readonly queue: () => Queue<LedgerMessage>,
    private readonly voucher: () => Identity | null,
  ) {}

  /** After a change in the outbox: ships within SHIP_DELAY_MS, and makes sure the alarm will if the object is reset first. */
  async soon() {
    this.schedule();
    if (this.alarmArmed) return;
    this.alarmArmed = true;
    await this.ctx.storage.setAlarm(Date.now() + SAFETY_ALARM_MS);
  }

  /** Ships within SHIP_DELAY_MS. While sends fail, the alarm's backoff paces the retries instead. */
  schedule() {
    if (this.timer !== null || this.failures > 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.ship();
    }, SHIP_DELAY_MS);
  }

  alarmFired() {
    this.alarmArmed = false;
  }

  /** One ship at a time: entries written meanwhile go with the next one. Never throws. */
  ship(): Promise<void> {
    this.shipping ??= this.shipOutbox().finally(() => (this.shipping = null));
    return this.shipping;
  }

  private async shipOutbox() {
    const voucher = this.voucher();
    if (!voucher) return;
    if (this.validations.waiting) this.ctx.storage.transactionSync(() => this.validations.fold(this.outbox, voucher.id));
    try {
      for (let i = 0; i < SENDS_PER_SHIP; i++) {
        const send = this.outbox.next(voucher.teamId, `${voucher.teamId}:${voucher.code}`);
        if (!send) break;
        await this.queue().sendBatch(send.messages.map((body) => ({ body })));
        // Only now that the queue has accepted them do the entries leave.
        this.outbox.remove(send.lastSeq);
      }
      this.failures = 0;
      if (this.outbox.size() > 0 || this.validations.waiting) this.schedule();
    } catch (err) {
      this.failures += 1;
      await this.retryLater("ship", this.failures, err);
    }
  }

  async retryLater(what: string, failures: number, err: unknown) {
    const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(failures, 9));
    console.error(
      JSON.stringify({ level: "warn", object: "voucher", code: this.voucher()?.code, what, outbox: this.outbox.size(), retry_in_ms: delay, error: err instanceof Error ? err.message : String(err) }),
    );
    this.alarmArmed = true;
    await this.ctx.storage.setAlarm(Date.now() + delay);
  }
}
