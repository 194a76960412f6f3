// The voucher object's outbox: entries of the ledger stream (src/domain/ledger.ts), each written in the same
// storage transaction as the change it reports, and deleted only after the ledger queue has accepted the send
// that carried it. A send that fails, or whose answer is lost, leaves them to be sent again: the consumer's
// writes are idempotent, so a second copy changes nothing.
import { ENTRY_MAX_BYTES, fitEntry, LEDGER_FORMAT, type LedgerEntry, type LedgerMessage, packEntries } from "../domain/ledger";

/** Rows read per send: more than one send can carry (230 KB of entries of 150 bytes or more). */
const READ_LIMIT = 1600;
const encoder = new TextEncoder();

export type OutboxSend = { messages: LedgerMessage[]; lastSeq: number; entries: number };

export class Outbox {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS outbox (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, slot TEXT UNIQUE, entry TEXT NOT NULL, bytes INTEGER NOT NULL, at INTEGER NOT NULL)`);
  }

  /**
   * Adds an entry. One with a slot replaces the entry still waiting in that slot (the voucher's state, a
   * redemption's status, an hour's validation totals): the newer state makes the older one moot. The replacement
   * gets a new number, so a send that already carries the older one does not delete it when it is accepted.
   */
  put(entry: LedgerEntry, slot: string | null, at = Date.now()) {
    let json = JSON.stringify(entry);
    let bytes = encoder.encode(json).byteLength;
    if (bytes > ENTRY_MAX_BYTES) {
      json = JSON.stringify(fitEntry(entry));
      bytes = encoder.encode(json).byteLength;
    }
    // The replaced entry's time is kept: the change it reported has been waiting since then.
    const replaced = slot === null ? undefined : this.sql.exec<{ at: number }>("DELETE FROM outbox WHERE slot = ? RETURNING at", slot).toArray()[0];
    this.sql.exec("INSERT INTO outbox (slot, entry, bytes, at) VALUES (?, ?, ?, ?)", slot, json, bytes, Math.min(at, replaced?.at ?? at));
  }

  /** The oldest entries, as the messages of one sendBatch, or null when nothing waits. */
  next(teamId: string, source: string): OutboxSend | null {
    const rows = this.sql.exec<{ seq: number; entry: string; bytes: number; at: number }>("SELECT seq, entry, bytes, at FROM outbox ORDER BY seq LIMIT ?", READ_LIMIT).toArray();
    if (rows.length === 0) return null;
    let taken = 0;
    const messages = packEntries(rows.map((r) => r.bytes)).map((count): LedgerMessage => {
      const part = rows.slice(taken, (taken += count));
      return {
        format: LEDGER_FORMAT,
        team_id: teamId,
        source,
        oldest_at: Math.min(...part.map((r) => r.at)),
        entries: part.map((r) => JSON.parse(r.entry) as LedgerEntry),
      };
    });
    return { messages, lastSeq: rows[taken - 1]!.seq, entries: taken };
  }

  /** Deletes what an accepted send carried: every entry up to its last (numbers only grow). */
  remove(lastSeq: number) {
    this.sql.exec("DELETE FROM outbox WHERE seq <= ?", lastSeq);
  }

  size(): number {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM outbox").one().n;
  }
}
