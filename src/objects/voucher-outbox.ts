// The voucher object's outbox: entries of the ledger stream (src/domain/ledger.ts) that each matter (a
// redemption, a rollback; later, events), written in the same storage transaction as the change they report and
// deleted only after the ledger queue has accepted the send that carried them. Values that a later one supersedes
// (the voucher's state, validation totals) wait as numbers in their own tables instead, marked when a send carried
// them, and join the send as derived entries: one per send, not one per change. A send that fails, or whose answer is lost, leaves them to be sent again: the consumer's
// writes are idempotent, so a second copy changes nothing.
import { ENTRY_MAX_BYTES, fitEntry, LEDGER_FORMAT, type LedgerEntry, type LedgerMessage, packEntries } from "../domain/ledger";

/** Rows read per send: more than one send can carry (230 KB of entries of 150 bytes or more). */
const READ_LIMIT = 1600;
const encoder = new TextEncoder();

export type OutboxSend = { messages: LedgerMessage[]; lastSeq: number; entries: number };

export class Outbox {
  /** Entries waiting, once counted: a send asks after every ship whether anything is left. */
  private count: number | undefined;

  constructor(private readonly sql: SqlStorage) {}

  migrate() {
    this.sql.exec(`CREATE TABLE IF NOT EXISTS outbox (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, slot TEXT UNIQUE, entry TEXT NOT NULL, bytes INTEGER NOT NULL, at INTEGER NOT NULL)`);
  }

  /**
   * Adds an entry. One with a slot replaces the entry still waiting in that slot (the voucher's state, a
   * redemption's status, an hour's validation totals): the newer state makes the older one moot. The replacement
   * gets a new number, so a send that already carries the older one does not delete it when it is accepted.
   */
  put(entry: LedgerEntry, slot: string, at = Date.now()) {
    // The replaced entry's time is kept: the change it reported has been waiting since then.
    const replaced = this.sql.exec<{ at: number }>("DELETE FROM outbox WHERE slot = ? RETURNING at", slot).toArray()[0];
    if (replaced && this.count !== undefined) this.count -= 1;
    this.add(entry, slot, Math.min(at, replaced?.at ?? at));
  }

  /** Adds an entry whose slot (if any) is known to be free: a new redemption's, an event's (no slot). */
  add(entry: LedgerEntry, slot: string | null, at = Date.now()) {
    let json = JSON.stringify(entry);
    let bytes = encoder.encode(json).byteLength;
    if (bytes > ENTRY_MAX_BYTES) {
      json = JSON.stringify(fitEntry(entry));
      bytes = encoder.encode(json).byteLength;
    }
    this.sql.exec("INSERT INTO outbox (slot, entry, bytes, at) VALUES (?, ?, ?, ?)", slot, json, bytes, at);
    if (this.count !== undefined) this.count += 1;
  }

  /**
   * The messages of one sendBatch: `derived` entries first (the voucher's state, validation totals: small, and all
   * of them go), then the oldest waiting entries that fit. Null when nothing waits.
   */
  next(teamId: string, source: string, derived: LedgerEntry[]): OutboxSend | null {
    const rows = this.sql.exec<{ seq: number; entry: string; bytes: number; at: number }>("SELECT seq, entry, bytes, at FROM outbox ORDER BY seq LIMIT ?", READ_LIMIT).toArray();
    // A full read of what waits corrects the count (say, after a transaction that added an entry rolled back).
    if (rows.length < READ_LIMIT) this.count = rows.length;
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
    return { messages, lastSeq: Math.max(0, ...items.slice(0, taken).map((i) => i.seq)), entries: taken };
  }

  /** Deletes what an accepted send carried: every entry up to its last (numbers only grow). */
  remove(lastSeq: number) {
    const removed = this.sql.exec("DELETE FROM outbox WHERE seq <= ?", lastSeq).rowsWritten;
    if (this.count !== undefined) this.count -= removed;
  }

  size(): number {
    this.count ??= this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM outbox").one().n;
    return this.count;
  }
}
