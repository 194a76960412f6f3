// The voucher object's outbox: entries of the ledger stream (src/domain/ledger.ts) that each matter (a
// redemption, a rollback; later, events), written in the same storage transaction as the change they report.
// Values that a later one supersedes (the voucher's state, validation totals) wait as numbers in their own tables
// instead and join each send as derived entries: one per send, not one per change.
// An entry leaves only after the ledger queue has accepted the send that carried it, and its deletion is written
// with the object's next change, in that change's commit, rather than in a commit of its own (a quiet object
// writes it a second later). Should the object be reset before, the entry is sent again: a send that fails, or
// whose answer is lost, is sent again too, and the consumer's writes are idempotent, so a second copy changes nothing.
import { ENTRY_MAX_BYTES, fitEntry, LEDGER_FORMAT, type LedgerEntry, type LedgerMessage, packEntries } from "../domain/ledger";

/** Rows read per send: more than one send can carry (230 KB of entries of 150 bytes or more). */
const READ_LIMIT = 1600;
const encoder = new TextEncoder();

export type OutboxSend = { messages: LedgerMessage[]; lastSeq: number; entries: number };

export class Outbox {
  /** The highest entry number an accepted send carried: entries up to it are gone, whether or not deleted yet. */
  private sent = 0;
  /** The highest number whose deletion has been written. */
  private deleted = 0;

  constructor(private readonly sql: SqlStorage) {}

  migrate() {
    this.sql.exec(`CREATE TABLE IF NOT EXISTS outbox (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, slot TEXT UNIQUE, entry TEXT NOT NULL, bytes INTEGER NOT NULL, at INTEGER NOT NULL)`);
  }

  /**
   * Adds an entry that replaces the one waiting in its slot, if any (a redemption's rolled-back record replaces its
   * redeemed one). The replacement gets a new number, so a send already carrying the older one leaves it waiting.
   * Call inside the change's transaction.
   */
  put(entry: LedgerEntry, slot: string, at = Date.now()) {
    this.writeDeletions();
    const replaced = this.sql.exec<{ at: number; seq: number }>("DELETE FROM outbox WHERE slot = ? RETURNING at, seq", slot).toArray()[0];
    const unsent = replaced !== undefined && replaced.seq > this.sent;
    // An unsent entry's time is kept: the change it reported has been waiting since then.
    this.add(entry, slot, unsent ? Math.min(at, replaced.at) : at);
  }

  /**
   * Adds the entry unless an unsent one waits in its slot: that earlier one already says what this one would (a
   * customer's reservations on this voucher, since its earlier time). Call inside the change's transaction.
   */
  keep(entry: LedgerEntry, slot: string, at = Date.now()): boolean {
    const waiting = this.sql.exec<{ seq: number }>("SELECT seq FROM outbox WHERE slot = ? AND seq > ?", slot, this.sent).toArray().length > 0;
    if (!waiting) this.put(entry, slot, at);
    return !waiting;
  }

  /** Adds an entry whose slot (if any) is free: a new redemption's, an event's (no slot). Call inside the change's transaction. */
  add(entry: LedgerEntry, slot: string | null, at = Date.now()) {
    this.writeDeletions();
    let json = JSON.stringify(entry);
    let bytes = encoder.encode(json).byteLength;
    if (bytes > ENTRY_MAX_BYTES) {
      json = JSON.stringify(fitEntry(entry));
      bytes = encoder.encode(json).byteLength;
    }
    this.sql.exec("INSERT INTO outbox (slot, entry, bytes, at) VALUES (?, ?, ?, ?)", slot, json, bytes, at);
  }

  /**
   * The messages of one sendBatch: `derived` entries first (the voucher's state, validation totals: small, and all
   * of them go), then the oldest waiting entries that fit. Null when nothing waits.
   */
  next(teamId: string, source: string, derived: LedgerEntry[]): OutboxSend | null {
    const rows = this.sql
      .exec<{ seq: number; entry: string; bytes: number; at: number }>("SELECT seq, entry, bytes, at FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?", this.sent, READ_LIMIT)
      .toArray();
    if (rows.length === 0 && derived.length === 0) return null;
    const now = Date.now();
    const items = [
      ...derived.map((e) => ({ entry: e, bytes: encoder.encode(JSON.stringify(e)).byteLength, at: now, seq: 0 })),
      ...rows.map((r) => ({ entry: JSON.parse(r.entry) as LedgerEntry, bytes: r.bytes, at: r.at, seq: r.seq })),
    ];
    let taken = 0;
    const messages = packEntries(items.map((i) => i.bytes)).map((count): LedgerMessage => {
      const part = items.slice(taken, (taken += count));
      return { format: LEDGER_FORMAT, team_id: teamId, source, oldest_at: Math.min(...part.map((i) => i.at)), entries: part.map((i) => i.entry) };
    });
    const carried = items.slice(0, taken).filter((i) => i.seq > 0);
    return { messages, lastSeq: carried.at(-1)?.seq ?? 0, entries: carried.length };
  }

  /**
   * Erasure: waiting redemption entries of the customer made before `before` name the pseudonym; a waiting report
   * that the customer reserved here since before `before` is dropped — the erasure has reached this object, and
   * reservations it left under the id are reported anew by the caller. Call inside a transaction.
   */
  renameCustomer(customerId: string, pseudonym: string, before: number) {
    const rows = this.sql.exec<{ seq: number; entry: string }>("SELECT seq, entry FROM outbox WHERE instr(entry, ?) > 0", JSON.stringify(customerId)).toArray();
    for (const row of rows) {
      const entry = JSON.parse(row.entry) as LedgerEntry;
      if (entry.kind === "customer_reservation" && entry.customer_id === customerId && entry.reserved_at < before) {
        this.sql.exec("DELETE FROM outbox WHERE seq = ?", row.seq);
        continue;
      }
      if (entry.kind !== "redemption" || entry.redemption.customerId !== customerId || entry.redemption.createdAt >= before) continue;
      const renamed = JSON.stringify({ ...entry, redemption: { ...entry.redemption, customerId: pseudonym } });
      this.sql.exec("UPDATE outbox SET entry = ?, bytes = ? WHERE seq = ?", renamed, encoder.encode(renamed).byteLength, row.seq);
    }
  }

  /** The queue accepted a send: its entries are gone (their deletion is written with the next commit). */
  accepted(send: OutboxSend) {
    if (send.lastSeq > this.sent) this.sent = send.lastSeq;
  }

  /** Whether accepted entries still have to be deleted from storage. */
  get deletionsPending(): boolean {
    return this.sent > this.deleted;
  }

  /** Writes the deletion of the entries accepted sends carried (part of the caller's commit). */
  writeDeletions() {
    if (this.sent <= this.deleted) return;
    this.sql.exec("DELETE FROM outbox WHERE seq <= ?", this.sent);
    this.deleted = this.sent;
  }

  /** Entries waiting to be sent (for logs: the shipper learns it from next()). */
  size(): number {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM outbox WHERE seq > ?", this.sent).one().n;
  }
}
