// The voucher object's reservations (API.md §10): a checkout's hold on the voucher while its customer pays.
// While `held`, a reservation counts exactly like a redemption: in the redemption count, the customer's count and
// the gift card's balance seen by every other call, and its order id is taken. The held totals are kept in memory
// (read once, with the voucher's load), so a voucher with no reservation pays nothing for them on its checkout path.
// A reservation's redemption id is fixed when it is made (`red_` + the reservation's own id body): the campaign's
// budget is reserved under that id, so redeeming it later needs no second call to the campaign, and the
// campaign's reconciliation finds it like any other redemption.
// Ended reservations stay readable for RETAIN_ENDED_MS, then the alarm prunes them.
import type { Counters, RedemptionRequest, VoucherDefinition } from "../domain/voucher-rules";

export type ReservationStatus = "held" | "redeemed" | "released" | "expired";

export type ReservationRecord = {
  id: string;
  voucherId: string;
  code: string;
  campaignId: string | null;
  customerId: string | null;
  order: RedemptionRequest["order"];
  /** A gift card's requested spend, when the request named one. */
  amount: number | null;
  discountAmount: number;
  currency: string | null;
  status: ReservationStatus;
  expiresAt: number;
  createdAt: number;
  endedAt: number | null;
  /** Set once redeemed. */
  redemptionId: string | null;
};

/** A new held reservation of `def` for `request`, granted `discountAmount` until `expiresAt`. */
export function newReservationRecord(def: VoucherDefinition, id: string, request: RedemptionRequest, discountAmount: number, expiresAt: number): ReservationRecord {
  return {
    id,
    voucherId: def.id,
    code: def.code,
    campaignId: def.campaignId,
    customerId: request.customer_id ?? null,
    order: request.order,
    amount: request.amount ?? null,
    discountAmount,
    currency: def.currency ?? request.order.currency?.toUpperCase() ?? null,
    status: "held",
    expiresAt,
    createdAt: Date.now(),
    endedAt: null,
    redemptionId: null,
  };
}

/** How long a released, expired or redeemed reservation can still be read. */
export const RETAIN_ENDED_MS = 30 * 24 * 60 * 60 * 1000;

/** The redemption a reservation becomes: its id is known from the start. */
export const redemptionIdOf = (reservationId: string) => `red_${reservationId.slice("rsv_".length)}`;
export const reservationIdOf = (redemptionId: string) => `rsv_${redemptionId.slice("red_".length)}`;

type Totals = { count: number; amount: number };

export class Reservations {
  /** Held reservations' count and discount total; undefined until read. */
  private held: Totals | undefined;
  /** Whether ended reservations still owe their campaign its budget back; undefined until read. */
  private releases: boolean | undefined;

  private readonly sql: SqlStorage;

  constructor(private readonly storage: DurableObjectStorage) {
    this.sql = storage.sql;
  }

  migrate() {
    this.sql.exec(`CREATE TABLE IF NOT EXISTS reservations (
      id TEXT PRIMARY KEY, status TEXT NOT NULL, customer_id TEXT, order_id TEXT, amount INTEGER NOT NULL,
      expires_at INTEGER NOT NULL, ended_at INTEGER, release_pending INTEGER NOT NULL DEFAULT 0, record TEXT NOT NULL)`);
    this.sql.exec("CREATE INDEX IF NOT EXISTS reservations_held ON reservations (expires_at) WHERE status = 'held'");
    this.sql.exec("CREATE INDEX IF NOT EXISTS reservations_held_customer ON reservations (customer_id) WHERE status = 'held'");
    this.sql.exec("CREATE INDEX IF NOT EXISTS reservations_held_order ON reservations (order_id) WHERE status = 'held'");
    this.sql.exec("CREATE INDEX IF NOT EXISTS reservations_release_pending ON reservations (id) WHERE release_pending = 1");
    this.sql.exec("CREATE INDEX IF NOT EXISTS reservations_ended ON reservations (ended_at) WHERE ended_at IS NOT NULL");
  }

  /** What the voucher's load read of them (one statement for everything a warm object needs). */
  known(totals: Totals) {
    this.held = totals;
  }

  get anyHeld(): boolean {
    return this.heldTotals().count > 0;
  }

  /** Counters as every other call sees them: held reservations are spent. */
  counted(counters: Counters): Counters {
    const { count, amount } = this.heldTotals();
    if (count === 0) return counters;
    return {
      redemptionsCount: counters.redemptionsCount + count,
      giftCardBalance: counters.giftCardBalance === null ? null : counters.giftCardBalance - amount,
    };
  }

  ofCustomer(customerId: string): number {
    if (!this.anyHeld) return 0;
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM reservations WHERE status = 'held' AND customer_id = ?", customerId).one().n;
  }

  /** The held reservation of this order, if any: its order id cannot be redeemed any other way. */
  holdingOrder(orderId: string): string | null {
    if (!this.anyHeld) return null;
    return this.sql.exec<{ id: string }>("SELECT id FROM reservations WHERE status = 'held' AND order_id = ? LIMIT 1", orderId).toArray()[0]?.id ?? null;
  }

  find(id: string): ReservationRecord | null {
    const row = this.sql.exec<{ record: string }>("SELECT record FROM reservations WHERE id = ?", id).toArray()[0];
    return row ? (JSON.parse(row.record) as ReservationRecord) : null;
  }

  /** Call inside the reserving transaction. */
  insert(r: ReservationRecord) {
    // The totals as they were: read after the write, a first read would count this reservation twice.
    const t = this.heldTotals();
    this.sql.exec(
      "INSERT INTO reservations (id, status, customer_id, order_id, amount, expires_at, record) VALUES (?, 'held', ?, ?, ?, ?, ?)",
      r.id,
      r.customerId,
      r.order.id ?? null,
      r.discountAmount,
      r.expiresAt,
      JSON.stringify(r),
    );
    this.held = { count: t.count + 1, amount: t.amount + r.discountAmount };
  }

  /**
   * Ends a held reservation (call inside a transaction). One released or expired on a campaign voucher owes the
   * campaign its budget: `release_pending` stays until the campaign has taken it back.
   */
  end(r: ReservationRecord, status: Exclude<ReservationStatus, "held">, at: number, redemptionId: string | null = null): ReservationRecord {
    const ended: ReservationRecord = { ...r, status, endedAt: at, redemptionId };
    const owesBudget = status !== "redeemed" && r.campaignId !== null;
    const t = this.heldTotals();
    this.sql.exec(
      "UPDATE reservations SET status = ?, ended_at = ?, release_pending = ?, record = ? WHERE id = ? AND status = 'held'",
      status,
      at,
      owesBudget ? 1 : 0,
      JSON.stringify(ended),
      r.id,
    );
    this.held = { count: t.count - 1, amount: t.amount - r.discountAmount };
    if (owesBudget) this.releases = true;
    return ended;
  }

  /** Ends a held reservation in a transaction of its own. */
  endNow(r: ReservationRecord, status: "released" | "expired", at: number): ReservationRecord {
    return this.storage.transactionSync(() => this.end(r, status, at));
  }

  /** Ends every held reservation whose time is up at `now`, and forgets those ended long ago (the alarm's work). */
  expireDue(now: number) {
    for (let due = this.due(now); due.length > 0; due = this.due(now)) {
      this.storage.transactionSync(() => {
        for (const r of due) this.end(r, "expired", now);
      });
    }
    this.prune(now - RETAIN_ENDED_MS);
  }

  /** Sets the object's alarm for the next held reservation's expiry, unless it already fires by then. */
  async armExpiry() {
    const next = this.nextExpiry();
    if (next === null) return;
    const current = await this.storage.getAlarm();
    if (current === null || current > next) await this.storage.setAlarm(next);
  }

  /** Held reservations whose time is up at `now`, oldest first. */
  private due(now: number, limit = 100): ReservationRecord[] {
    if (!this.anyHeld) return [];
    return this.sql
      .exec<{ record: string }>("SELECT record FROM reservations WHERE status = 'held' AND expires_at <= ? ORDER BY expires_at LIMIT ?", now, limit)
      .toArray()
      .map((row) => JSON.parse(row.record) as ReservationRecord);
  }

  /** When the next held reservation expires, if any is held. */
  nextExpiry(): number | null {
    if (!this.anyHeld) return null;
    return this.sql.exec<{ at: number | null }>("SELECT min(expires_at) AS at FROM reservations WHERE status = 'held'").one().at;
  }

  hasPendingReleases(): boolean {
    this.releases ??= this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM reservations WHERE release_pending = 1").one().n > 0;
    return this.releases;
  }

  /** Ended reservations whose campaign has not taken its budget back yet. */
  pendingReleases(): ReservationRecord[] {
    if (!this.hasPendingReleases()) return [];
    const pending = this.sql
      .exec<{ record: string }>("SELECT record FROM reservations WHERE release_pending = 1 ORDER BY id LIMIT 100")
      .toArray()
      .map((row) => JSON.parse(row.record) as ReservationRecord);
    this.releases = pending.length > 0;
    return pending;
  }

  markReleased(id: string) {
    this.sql.exec("UPDATE reservations SET release_pending = 0 WHERE id = ?", id);
  }

  /** Forgets reservations that ended before `before` and owe nothing. */
  private prune(before: number) {
    this.sql.exec("DELETE FROM reservations WHERE ended_at IS NOT NULL AND ended_at < ? AND release_pending = 0", before);
  }

  /** The customer's reservations kept here (held, and ended ones until they are pruned), oldest first. */
  ofCustomerRecords(customerId: string): ReservationRecord[] {
    return this.sql
      .exec<{ record: string }>("SELECT record FROM reservations WHERE customer_id = ?", customerId)
      .toArray()
      .map((row) => JSON.parse(row.record) as ReservationRecord)
      .sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  }

  /**
   * Erasure: the customer's reservations made before `before` name the pseudonym from now on. Returns when the
   * earliest one left under the id was made (at or after `before`: the id's own again), or null if none is.
   */
  renameCustomer(customerId: string, pseudonym: string, before: number): number | null {
    const rows = this.sql.exec<{ id: string; record: string }>("SELECT id, record FROM reservations WHERE customer_id = ?", customerId).toArray();
    let left: number | null = null;
    for (const row of rows) {
      const record = JSON.parse(row.record) as ReservationRecord;
      if (record.createdAt >= before) {
        left = Math.min(left ?? record.createdAt, record.createdAt);
        continue;
      }
      this.sql.exec("UPDATE reservations SET customer_id = ?, record = ? WHERE id = ?", pseudonym, JSON.stringify({ ...record, customerId: pseudonym }), row.id);
    }
    return left;
  }

  private heldTotals(): Totals {
    if (this.held === undefined) {
      const row = this.sql
        .exec<{ n: number; a: number }>("SELECT count(*) AS n, coalesce(sum(amount), 0) AS a FROM reservations WHERE status = 'held'")
        .one();
      this.held = { count: row.n, amount: row.a };
    }
    return this.held;
  }
}
