// How many validations the voucher answered, per hour. A validate only counts in memory: a storage write would
// hold its answer until the write is durable, which is what makes a write cost about 40 % of a call's throughput
// (BENCHMARKS.md). The counts are folded into the object's storage and its outbox when the outbox ships (within
// a second); an object reset in between loses at most that second's counts. They feed reports, never a decision.
import type { Outbox } from "./voucher-outbox";

export const HOUR_MS = 60 * 60 * 1000;
/** Hours kept after they end: an hour's last totals are in the outbox by then, and nothing counts in it again. */
const KEPT_HOURS = 2;

export class ValidationCounts {
  private pending = new Map<number, { validations: number; valid: number }>();

  constructor(private readonly sql: SqlStorage) {
    sql.exec("CREATE TABLE IF NOT EXISTS validation_counts (hour INTEGER PRIMARY KEY, validations INTEGER NOT NULL, valid INTEGER NOT NULL)");
  }

  count(at: number, valid: boolean) {
    const hour = at - (at % HOUR_MS);
    const c = this.pending.get(hour) ?? { validations: 0, valid: 0 };
    c.validations += 1;
    if (valid) c.valid += 1;
    this.pending.set(hour, c);
  }

  get waiting(): boolean {
    return this.pending.size > 0;
  }

  /**
   * Adds the counts so far to the stored totals and puts each hour's new totals in the outbox (totals, not
   * increments: the consumer keeps the larger, so a repeated message adds nothing). Call inside a transaction.
   */
  fold(outbox: Outbox, voucherId: string, now = Date.now()) {
    for (const [hour, c] of this.pending) {
      const total = this.sql
        .exec<{ validations: number; valid: number }>(
          `INSERT INTO validation_counts (hour, validations, valid) VALUES (?, ?, ?)
           ON CONFLICT (hour) DO UPDATE SET validations = validations + excluded.validations, valid = valid + excluded.valid
           RETURNING validations, valid`,
          hour,
          c.validations,
          c.valid,
        )
        .one();
      outbox.put({ kind: "validation_count", voucher_id: voucherId, hour, validations: total.validations, valid: total.valid }, `validation_count:${hour}`);
    }
    this.pending.clear();
    this.sql.exec("DELETE FROM validation_counts WHERE hour < ?", now - KEPT_HOURS * HOUR_MS);
  }
}
