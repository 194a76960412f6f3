// When a voucher object's outbox ships to the ledger queue. A change ships at once if the object's last send is a
// second old, else a second after it: a quiet voucher sends each change straight away, a busy one sends once a
// second whatever its rate. What a send leaves to write (the deletion of its entries) goes with the next change's
// commit, or, if none comes first, with the safety alarm's wake: a redemption on a voucher that sees one every few
// seconds costs one commit (its own), not three (its own, the deletion's, the alarm's removal). An entry sent but
// not yet deleted when the object is reset is sent again, which the consumer's idempotent writes absorb.
// The object's alarm is the safety net: set with the first waiting entry (and kept, not re-set, by the changes
// that follow until it fires), it ships whatever an object reset left behind, writes what sends left to write, and
// paces the retries (with backoff) while sends fail. Once it has fired and nothing waits, it is not set again until
// the next change, so a quiet voucher's object wakes once after its last change, not every 30 s.
import type { LedgerEntry, LedgerMessage } from "../domain/ledger";
import type { Outbox } from "./voucher-outbox";

/** At most one send a second per object: a busy voucher's second of changes goes in one send. */
export const SHIP_INTERVAL_MS = 1000;
/** How long an entry can wait if the object is reset before its send. */
export const SAFETY_ALARM_MS = 30_000;
const MAX_BACKOFF_MS = 5 * 60 * 1000;
/** Sends per ship: a backlog (after an outage) drains a few sends at a time, the next tick carrying on. */
const SENDS_PER_SHIP = 10;

type Identity = { teamId: string; code: string };

/** Entries derived at send time from state the changes wrote (a later value supersedes an earlier one). */
export type Derived = { entries: LedgerEntry[]; accepted: () => void };

export type ShipperHooks = {
  queue: () => Queue<LedgerMessage>;
  voucher: () => Identity | null;
  derived: () => Derived;
  /** When other work needs the alarm by (a reservation's expiry): the shipper never sets it later than that. */
  earliestAlarm: () => number | null;
  /** Writes what accepted sends left to write (call inside a transaction); whether there is any. */
  unwritten: () => boolean;
  writeSent: () => void;
};

export class OutboxShipper {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running: Promise<void> | null = null;
  /** Whether the alarm is known to be set. */
  private alarmArmed = false;
  private lastTickAt = 0;
  private failures = 0;
  /** A change asked for a ship while a tick was running. */
  private asked = false;

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly outbox: Outbox,
    private readonly hooks: ShipperHooks,
  ) {}

  /** After a change that must reach D1: arms the safety alarm (in the change's own commit), then ships. */
  async soon() {
    if (!this.alarmArmed) {
      this.alarmArmed = true;
      await this.setAlarm(Date.now() + SAFETY_ALARM_MS);
    }
    this.schedule();
  }

  /**
   * Ships now, or a second after the last tick, or after `delay` (a validation waits, so that folding its count
   * into storage never holds its answer). While sends fail, the alarm's backoff paces the retries.
   */
  schedule(delay = 0) {
    if (this.running !== null) this.asked = true;
    if (this.timer !== null || this.running !== null || this.failures > 0) return;
    const wait = Math.max(delay, this.lastTickAt + SHIP_INTERVAL_MS - Date.now());
    if (wait <= 0) {
      void this.tick();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.tick();
    }, wait);
  }

  alarmFired() {
    this.alarmArmed = false;
  }

  /**
   * Ships what waits, then looks again a second later; with nothing left to send and no alarm set (it has just
   * fired, or only validation counts were sent), writes what the sends left unwritten, and stops. One tick at a
   * time. Never throws.
   */
  tick(): Promise<void> {
    this.running ??= this.run().finally(() => {
      this.running = null;
      // A change that came while this tick ran found it running: look again.
      if (this.asked) this.schedule();
      this.asked = false;
    });
    return this.running;
  }

  private async run() {
    this.lastTickAt = Date.now();
    const shipped = await this.ship();
    if (shipped === "sent") this.scheduleTick();
    // While the safety alarm is set, the deletions wait for the next change's commit or for the alarm's wake.
    if (shipped !== "idle" || this.alarmArmed) return;
    if (this.hooks.unwritten()) this.ctx.storage.transactionSync(() => this.hooks.writeSent());
  }

  private scheduleTick() {
    if (this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.tick();
    }, SHIP_INTERVAL_MS);
  }

  /** Sends what waits: "idle" if nothing did, "failed" if the queue refused (the alarm then retries with backoff). */
  private async ship(): Promise<"sent" | "idle" | "failed"> {
    const voucher = this.hooks.voucher();
    if (!voucher) return "idle";
    let sent = false;
    try {
      let derived: Derived | null = this.hooks.derived();
      for (let i = 0; i < SENDS_PER_SHIP; i++) {
        const send = this.outbox.next(voucher.teamId, `${voucher.teamId}:${voucher.code}`, derived?.entries ?? []);
        if (!send) break;
        sent = true;
        await this.hooks.queue().sendBatch(send.messages.map((body) => ({ body })));
        // Only now that the queue has accepted them do the entries leave.
        this.outbox.accepted(send);
        derived?.accepted();
        derived = null;
      }
      this.failures = 0;
      return sent ? "sent" : "idle";
    } catch (err) {
      this.failures += 1;
      await this.retryLater("ship", this.failures, err);
      return "failed";
    }
  }

  async retryLater(what: string, failures: number, err: unknown) {
    const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(failures, 9));
    console.error(
      JSON.stringify({ level: "warn", object: "voucher", code: this.hooks.voucher()?.code, what, outbox: this.outbox.size(), retry_in_ms: delay, error: err instanceof Error ? err.message : String(err) }),
    );
    this.alarmArmed = true;
    await this.setAlarm(Date.now() + delay);
  }

  private async setAlarm(at: number) {
    const other = this.hooks.earliestAlarm();
    await this.ctx.storage.setAlarm(other === null ? at : Math.min(at, other));
  }
}
