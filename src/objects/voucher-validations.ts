// How many validations the voucher answered, per hour: its own validate calls, and the tallies workers hand back
// for answers they took from a preview (services/validation-tallies.ts). A validate only counts in memory: a storage write would
// hold its answer until the write is durable, which is what makes a write cost about 40 % of a call's throughput
// (BENCHMARKS.md). The counts are folded into the object's storage when the outbox ships (within a second); an
// object reset in between loses at most that second's counts. They feed reports, never a decision.
// Each hour's running totals ship as a validation_count entry; the consumer keeps the larger total, so a repeated
// or late message adds nothing.
import type { LedgerEntry } from "../domain/ledger";
import { HOUR_MS, type ValidationTally } from "../domain/validation-tally";

export { HOUR_MS };
/** Hours kept after they end: an hour's last totals have shipped by then, and nothing counts in it again. */
const KEPT_HOURS = 2;

type Totals = ValidationTally;

export class ValidationCounts {
  private pending = new Map<number, { validations: number; valid: number }>();
  /** Whether stored totals wait to ship, once known. */
  private unshippedTotals: boolean | undefined;

  constructor(private readonly sql: SqlStorage) {}

  migrate() {
    this.sql.exec(`CREATE TABLE IF NOT EXISTS validation_counts (
      hour INTEGER PRIMARY KEY, validations INTEGER NOT NULL, valid INTEGER NOT NULL, shipped INTEGER NOT NULL DEFAULT 0)`);
  }

  /** What the voucher's load learned of stored totals, saving a query of its own. */
  known(unshipped: boolean | undefined) {
    this.unshippedTotals ??= unshipped;
  }

  count(at: number, valid: boolean) {
    const hour = at - (at % HOUR_MS);
    this.add({ hour, validations: 1, valid: valid ? 1 : 0 });
  }

  add(t: ValidationTally) {
    const c = this.pending.get(t.hour) ?? { validations: 0, valid: 0 };
    c.validations += t.validations;
    c.valid += t.valid;
    this.pending.set(t.hour, c);
  }

  /** Counts in memory, not yet folded into storage. */
  get counting(): boolean {
    return this.pending.size > 0;
  }

  /** Adds the counts so far to the stored totals. Call inside a transaction. */
  fold(now = Date.now()) {
    for (const [hour, c] of this.pending) {
      this.sql.exec(
        `INSERT INTO validation_counts (hour, validations, valid, shipped) VALUES (?, ?, ?, 0)
         ON CONFLICT (hour) DO UPDATE SET validations = validations + excluded.validations, valid = valid + excluded.valid, shipped = 0`,
        hour,
        c.validations,
        c.valid,
      );
    }
    if (this.pending.size > 0) this.unshippedTotals = true;
    this.pending.clear();
    this.sql.exec("DELETE FROM validation_counts WHERE hour < ? AND shipped = 1", now - KEPT_HOURS * HOUR_MS);
  }

  /** The totals D1 has not been sent, as entries. */
  unshipped(voucherId: string): LedgerEntry[] {
    if (this.unshippedTotals === false) return [];
    const totals = this.sql.exec<Totals>("SELECT hour, validations, valid FROM validation_counts WHERE shipped = 0 ORDER BY hour").toArray();
    this.unshippedTotals = totals.length > 0;
    return totals.map((t) => ({ kind: "validation_count", voucher_id: voucherId, hour: t.hour, validations: t.validations, valid: t.valid }));
  }

  /** Marks totals a send carried, unless they grew since (then they go again with the next). */
  markShipped(entries: LedgerEntry[]) {
    for (const e of entries) {
      if (e.kind !== "validation_count") continue;
      this.sql.exec("UPDATE validation_counts SET shipped = 1 WHERE hour = ? AND validations = ? AND valid = ?", e.hour, e.validations, e.valid);
    }
    if (entries.length > 0) this.unshippedTotals = undefined;
  }
}
