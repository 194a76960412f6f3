// When and how a voucher object's outbox ships to the ledger queue. A change ships at once if the object's last
// send is a second old, else a second after it: a quiet voucher sends each change straight away, a busy one sends
// once a second whatever its rate. The object's alarm is the safety net: set with the first waiting entry, it
// ships whatever an object reset left behind, paces the retries (with backoff) while sends fail, and is deleted
// when a send leaves nothing waiting, so a quiet voucher's object is not woken up for nothing.
import type { LedgerEntry, LedgerMessage } from "../domain/ledger";
import type { Outbox } from "./voucher-outbox";

/** At most one send a second per object: a busy voucher's second of changes goes in one send. */
export const SHIP_INTERVAL_MS = 1000;
/** How long an entry can wait if the object is reset before its send. */
export const SAFETY_ALARM_MS = 30_000;
const MAX_BACKOFF_MS = 5 * 60 * 1000;
/** Sends per ship: a backlog (after an outage) drains a few sends at a time, the next ship carrying on. */
const SENDS_PER_SHIP = 10;

type Identity = { teamId: string; code: string };

/** Entries derived at send time from state the change wrote (a later value supersedes an earlier one). */
export type Derived = { entries: LedgerEntry[]; accepted: () => void };

export type ShipperHooks = {
  queue: () => Queue<LedgerMessage>;
  voucher: () => Identity | null;
  derived: () => Derived;
  /** Whether anything is waiting: derived entries, or other work the alarm does (campaign releases). */
  waiting: () => boolean;
};

export class OutboxShipper {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private shipping: Promise<void> | null = null;
  /** Whether the alarm is known to be set. */
  private alarmArmed = false;
  private lastShipAt = 0;
  private failures = 0;

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly outbox: Outbox,
    private readonly hooks: ShipperHooks,
  ) {}

  /** After a change that must reach D1: arms the safety alarm (in the change's own commit), then ships. */
  async soon() {
    if (!this.alarmArmed) {
      this.alarmArmed = true;
      await this.ctx.storage.setAlarm(Date.now() + SAFETY_ALARM_MS);
    }
    this.schedule();
  }

  /**
   * Ships now, or a second after the last send, or after `delay` (a validation waits, so that folding its count
   * into storage never holds its answer). While sends fail, the alarm's backoff paces the retries.
   */
  schedule(delay = 0) {
    if (this.timer !== null || this.shipping !== null || this.failures > 0) return;
    const wait = Math.max(delay, this.lastShipAt + SHIP_INTERVAL_MS - Date.now());
    if (wait <= 0) {
      void this.ship();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.ship();
    }, wait);
  }

  alarmFired() {
    this.alarmArmed = false;
  }

  /** One ship at a time: entries written meanwhile go with the next one. Never throws. */
  ship(): Promise<void> {
    this.shipping ??= this.shipOutbox().finally(() => {
      this.shipping = null;
      if (this.failures === 0 && (this.outbox.size() > 0 || this.hooks.waiting())) this.schedule();
    });
    return this.shipping;
  }

  private async shipOutbox() {
    const voucher = this.hooks.voucher();
    if (!voucher) return;
    this.lastShipAt = Date.now();
    try {
      let derived: Derived | null = this.hooks.derived();
      for (let i = 0; i < SENDS_PER_SHIP; i++) {
        const send = this.outbox.next(voucher.teamId, `${voucher.teamId}:${voucher.code}`, derived?.entries ?? []);
        if (!send) break;
        await this.hooks.queue().sendBatch(send.messages.map((body) => ({ body })));
        // Only now that the queue has accepted them do the entries leave (one commit, no await in between).
        this.outbox.remove(send.lastSeq);
        derived?.accepted();
        derived = null;
      }
      this.failures = 0;
      if (this.outbox.size() === 0 && !this.hooks.waiting() && this.alarmArmed) {
        this.alarmArmed = false;
        await this.ctx.storage.deleteAlarm();
      }
    } catch (err) {
      this.failures += 1;
      await this.retryLater("ship", this.failures, err);
    }
  }

  async retryLater(what: string, failures: number, err: unknown) {
    const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(failures, 9));
    console.error(
      JSON.stringify({ level: "warn", object: "voucher", code: this.hooks.voucher()?.code, what, outbox: this.outbox.size(), retry_in_ms: delay, error: err instanceof Error ? err.message : String(err) }),
    );
    this.alarmArmed = true;
    await this.ctx.storage.setAlarm(Date.now() + delay);
  }
}
