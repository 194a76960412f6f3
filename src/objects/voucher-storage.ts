// The voucher object's own SQLite tables: its definition, its counters and its redemptions. Writes here commit
// with the object's answer; D1 learns of them through the outbox (./voucher-outbox.ts), written in the same
// transaction. A rolled-back redemption keeps `release_pending` until its campaign has taken the budget back.
// `counters.mirror_version` numbers the changes D1's copy must follow, and `mirror_shipped` is the last one an
// accepted send carried: the state ships once per send, not once per change. D1's row keeps the number it shows
// and refuses an older one, so two writes landing out of order never take D1's copy back.
import { redemptionEntry } from "../domain/ledger";
import type { Counters, VoucherDefinition } from "../domain/voucher-rules";
import { addColumnIfMissing, hasColumn } from "./sqlite-schema";
import type { RedemptionRecord, Snapshot } from "./voucher";
import type { Outbox } from "./voucher-outbox";

type Mirror = { version: number; shipped: number };

export class VoucherStorage {
  /** The counters row's change numbers, once read: every send asks whether the state must go. */
  private mirror: Mirror | undefined;
  /** Whether rolled-back redemptions wait on their campaign, once known. */
  private releases: boolean | undefined;
  /** Whether validation totals waited to ship when the voucher was loaded. */
  unshippedTotalsAtLoad: boolean | undefined;
  /** Held reservations' count and discount total when the voucher was loaded. */
  heldAtLoad: { count: number; amount: number } | undefined;


  constructor(private readonly sql: SqlStorage) {}

  migrate() {
    const sql = this.sql;
    sql.exec("CREATE TABLE IF NOT EXISTS definition (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), data TEXT NOT NULL)");
    sql.exec(`CREATE TABLE IF NOT EXISTS counters (
      singleton INTEGER PRIMARY KEY CHECK (singleton = 1), redemptions_count INTEGER NOT NULL, gift_card_balance INTEGER)`);
    addColumnIfMissing(sql, "counters", "mirror_version", "INTEGER NOT NULL DEFAULT 0");
    addColumnIfMissing(sql, "counters", "mirror_shipped", "INTEGER NOT NULL DEFAULT 0");
    sql.exec(`CREATE TABLE IF NOT EXISTS redemptions (
      id TEXT PRIMARY KEY, customer_id TEXT, order_id TEXT, status TEXT NOT NULL, created_at INTEGER NOT NULL, record TEXT NOT NULL,
      release_pending INTEGER NOT NULL DEFAULT 0)`);
    sql.exec("CREATE INDEX IF NOT EXISTS redemptions_customer ON redemptions (customer_id, status)");
    sql.exec("CREATE INDEX IF NOT EXISTS redemptions_order ON redemptions (order_id, status)");
    sql.exec("CREATE INDEX IF NOT EXISTS redemptions_release_pending ON redemptions (id) WHERE release_pending = 1");
  }

  /**
   * Objects from before the outbox kept their own flags of what D1 lacked (`redemptions.synced`,
   * `counters.mirror_dirty`): the redemptions they still flag move into the outbox, once, and the flags go. Their
   * state ships with the next send anyway (`mirror_shipped` starts at 0); D1 ignores it if it has it.
   */
  adoptLegacyFlags(outbox: Outbox) {
    if (hasColumn(this.sql, "redemptions", "synced")) {
      const rows = this.sql.exec<{ id: string; record: string }>("SELECT id, record FROM redemptions WHERE synced = 0 ORDER BY id").toArray();
      for (const r of rows) outbox.put(redemptionEntry(JSON.parse(r.record) as RedemptionRecord), `redemption:${r.id}`);
      this.sql.exec("DROP INDEX IF EXISTS redemptions_unsynced");
      this.sql.exec("ALTER TABLE redemptions DROP COLUMN synced");
    }
    if (hasColumn(this.sql, "counters", "mirror_dirty")) this.sql.exec("ALTER TABLE counters DROP COLUMN mirror_dirty");
  }

  load(): Snapshot | null {
    const def = this.sql.exec<{ data: string }>("SELECT data FROM definition").toArray()[0];
    // What the shipper asks about is read here too: a quiet voucher's object prepares each statement it runs.
    const counters = this.sql
      .exec<{
        redemptions_count: number;
        gift_card_balance: number | null;
        mirror_version: number;
        mirror_shipped: number;
        releases: number;
        totals: number;
        held: number;
        held_amount: number;
      }>(
        `SELECT *, (SELECT count(*) FROM redemptions WHERE release_pending = 1) AS releases,
                   (SELECT count(*) FROM validation_counts WHERE shipped = 0) AS totals,
                   (SELECT count(*) FROM reservations WHERE status = 'held') AS held,
                   (SELECT coalesce(sum(amount), 0) FROM reservations WHERE status = 'held') AS held_amount FROM counters`,
      )
      .toArray()[0];
    if (!def || !counters) return null;
    this.mirror ??= { version: counters.mirror_version, shipped: counters.mirror_shipped };
    this.releases ??= counters.releases > 0;
    this.unshippedTotalsAtLoad = counters.totals > 0;
    this.heldAtLoad = { count: counters.held, amount: counters.held_amount };
    return {
      definition: JSON.parse(def.data) as VoucherDefinition,
      counters: { redemptionsCount: counters.redemptions_count, giftCardBalance: counters.gift_card_balance },
    };
  }

  saveDefinition(definition: VoucherDefinition) {
    this.sql.exec(
      "INSERT INTO definition (singleton, data) VALUES (1, ?) ON CONFLICT (singleton) DO UPDATE SET data = excluded.data",
      JSON.stringify(definition),
    );
  }

  /**
   * Saves the counters; `mirrored` numbers a change D1's copy must follow. `startVersion` is where numbering
   * starts on the first save: D1's own number when loaded from D1 (which D1 therefore has already).
   */
  saveCounters(counters: Counters, mirrored: boolean, startVersion = 0) {
    const now = this.mirrorNumbers() ?? { version: startVersion, shipped: startVersion };
    const next = { version: now.version + (mirrored ? 1 : 0), shipped: now.shipped };
    this.sql.exec(
      `INSERT INTO counters (singleton, redemptions_count, gift_card_balance, mirror_version, mirror_shipped) VALUES (1, ?, ?, ?, ?)
       ON CONFLICT (singleton) DO UPDATE SET redemptions_count = excluded.redemptions_count,
         gift_card_balance = excluded.gift_card_balance, mirror_version = excluded.mirror_version, mirror_shipped = excluded.mirror_shipped`,
      counters.redemptionsCount,
      counters.giftCardBalance,
      next.version,
      next.shipped,
    );
    this.mirror = next;
  }

  private mirrorNumbers(): Mirror | null {
    if (this.mirror) return this.mirror;
    const row = this.sql.exec<{ v: number; s: number }>("SELECT mirror_version AS v, mirror_shipped AS s FROM counters").toArray()[0];
    if (row) this.mirror = { version: row.v, shipped: row.s };
    return this.mirror ?? null;
  }

  /** The number of the latest change if no accepted send has carried its state yet, else null. */
  unshippedMirrorVersion(): number | null {
    const m = this.mirrorNumbers();
    return m && m.version > m.shipped ? m.version : null;
  }

  /**
   * An accepted send carried the state numbered `version`. Storage learns it with the next write of the counters:
   * should the object be reset first, the state is sent once more, which D1 ignores.
   */
  markMirrorShipped(version: number) {
    const m = this.mirrorNumbers();
    if (m && version > m.shipped) this.mirror = { ...m, shipped: version };
  }

  hasPendingReleases(): boolean {
    this.releases ??= this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM redemptions WHERE release_pending = 1").one().n > 0;
    return this.releases;
  }

  insertRedemption(r: RedemptionRecord) {
    this.sql.exec(
      "INSERT INTO redemptions (id, customer_id, order_id, status, created_at, record) VALUES (?, ?, ?, 'redeemed', ?, ?)",
      r.id,
      r.customerId,
      r.order.id ?? null,
      r.createdAt,
      JSON.stringify(r),
    );
  }

  /** Erasure: the customer's redemptions made before `before` name the pseudonym (column and record alike). */
  renameCustomer(customerId: string, pseudonym: string, before: number): number {
    const rows = this.sql
      .exec<{ id: string; record: string }>("SELECT id, record FROM redemptions WHERE customer_id = ? AND created_at < ?", customerId, before)
      .toArray();
    for (const row of rows) {
      const record = JSON.parse(row.record) as RedemptionRecord;
      this.sql.exec("UPDATE redemptions SET customer_id = ?, record = ? WHERE id = ?", pseudonym, JSON.stringify({ ...record, customerId: pseudonym }), row.id);
    }
    return rows.length;
  }

  markRolledBack(r: RedemptionRecord) {
    this.sql.exec(
      "UPDATE redemptions SET status = 'rolled_back', record = ?, release_pending = ? WHERE id = ?",
      JSON.stringify(r),
      r.campaignId ? 1 : 0,
      r.id,
    );
    if (r.campaignId) this.releases = true;
  }

  findRedemption(id: string): RedemptionRecord | null {
    const row = this.sql.exec<{ record: string }>("SELECT record FROM redemptions WHERE id = ?", id).toArray()[0];
    return row ? (JSON.parse(row.record) as RedemptionRecord) : null;
  }

  /** The live redemption of this order on the voucher, if any. */
  redemptionOfOrder(orderId: string): string | null {
    return this.sql.exec<{ id: string }>("SELECT id FROM redemptions WHERE order_id = ? AND status = 'redeemed' LIMIT 1", orderId).toArray()[0]?.id ?? null;
  }

  customerCount(customerId: string): number {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM redemptions WHERE customer_id = ? AND status = 'redeemed'", customerId).one().n;
  }

  /** Rolled-back redemptions whose campaign has not yet taken the budget back. */
  pendingReleases(): RedemptionRecord[] {
    if (this.releases === false) return [];
    const pending = this.sql
      .exec<{ record: string }>("SELECT record FROM redemptions WHERE release_pending = 1 ORDER BY id LIMIT 100")
      .toArray()
      .map((r) => JSON.parse(r.record) as RedemptionRecord);
    this.releases = pending.length > 0;
    return pending;
  }

  markReleased(id: string) {
    this.sql.exec("UPDATE redemptions SET release_pending = 0 WHERE id = ?", id);
  }
}
