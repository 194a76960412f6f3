// The campaign object's reservations, one per redemption id, so reserve and release are idempotent. A new
// reservation is unconfirmed until the campaign has seen its redemption committed (in D1's history, or by asking
// the voucher's object); one whose redemption never committed (the voucher object reset between reserve and
// commit, or the commit failed) is found by the reconciliation alarm and given back.
import type { CampaignAsk } from "./campaign";
import { addColumnIfMissing } from "./sqlite-schema";

export type Reservation = { key: string; customerId: string | null; amount: number; held: boolean; voucherCode: string | null; at: number };

type Row = { key: string; customer_id: string | null; amount: number; held: number; voucher_code: string | null; at: number };
const fromRow = (r: Row): Reservation => ({ key: r.key, customerId: r.customer_id, amount: r.amount, held: r.held === 1, voucherCode: r.voucher_code, at: r.at });

export class CampaignReservations {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS reservations (
      key TEXT PRIMARY KEY, customer_id TEXT, amount INTEGER NOT NULL, held INTEGER NOT NULL, at INTEGER NOT NULL)`);
    addColumnIfMissing(sql, "reservations", "voucher_code", "TEXT");
    // Reservations made before reconciliation existed name no voucher to ask: they count as confirmed.
    addColumnIfMissing(sql, "reservations", "confirmed", "INTEGER NOT NULL DEFAULT 1");
    sql.exec("CREATE INDEX IF NOT EXISTS reservations_unconfirmed ON reservations (at) WHERE confirmed = 0 AND held = 1");
  }

  find(key: string): Reservation | null {
    const row = this.sql.exec<Row>("SELECT * FROM reservations WHERE key = ?", key).toArray()[0];
    return row ? fromRow(row) : null;
  }

  hold(key: string, ask: CampaignAsk, voucherCode: string, at: number) {
    this.sql.exec(
      `INSERT INTO reservations (key, customer_id, amount, held, at, voucher_code, confirmed) VALUES (?, ?, ?, 1, ?, ?, 0)
       ON CONFLICT (key) DO UPDATE SET customer_id = excluded.customer_id, amount = excluded.amount, held = 1, at = excluded.at,
         voucher_code = excluded.voucher_code, confirmed = 0`,
      key,
      ask.customerId,
      ask.amount,
      at,
      voucherCode,
    );
  }

  /** Erasure: the customer's reservations name the pseudonym from now on. */
  renameCustomer(customerId: string, pseudonym: string) {
    this.sql.exec("UPDATE reservations SET customer_id = ? WHERE customer_id = ?", pseudonym, customerId);
  }

  markReleased(key: string) {
    this.sql.exec("UPDATE reservations SET held = 0 WHERE key = ?", key);
  }

  confirm(key: string) {
    this.sql.exec("UPDATE reservations SET confirmed = 1 WHERE key = ?", key);
  }

  /** Held reservations not yet confirmed whose `at` (reserve time, or a voucher reservation's expiry) is at or before `before`, oldest first. */
  unconfirmed(before: number, limit: number): Reservation[] {
    return this.sql
      .exec<Row>("SELECT * FROM reservations WHERE confirmed = 0 AND held = 1 AND at <= ? ORDER BY at LIMIT ?", before, limit)
      .toArray()
      .map(fromRow);
  }

  /** When the oldest held, unconfirmed reservation was made, if there is one. */
  oldestUnconfirmed(): number | null {
    return this.sql.exec<{ at: number | null }>("SELECT min(at) AS at FROM reservations WHERE confirmed = 0 AND held = 1").one().at;
  }
}
