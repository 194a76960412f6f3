// The voucher object's own SQLite tables. Writes here commit with the object's answer; D1 learns of them later:
// every redemption row carries `synced` (0 until D1 has it) and `release_pending` (a rollback whose budget the
// campaign has not yet taken back), and `counters.mirror_dirty` marks a definition or counter change D1 lacks.
// Those flags are the outbox: no separate event table, so a redemption costs two small writes.
// `counters.mirror_version` numbers those changes; D1's row keeps the number it shows and refuses an older one,
// so two flushes landing out of order never take D1's copy back.
import type { Counters, VoucherDefinition } from "../services/voucher-rules";
import { addColumnIfMissing } from "./sqlite-schema";
import type { RedemptionRecord, Snapshot } from "./voucher";

export class VoucherStorage {
  constructor(private readonly sql: SqlStorage) {
    sql.exec("CREATE TABLE IF NOT EXISTS definition (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), data TEXT NOT NULL)");
    sql.exec(`CREATE TABLE IF NOT EXISTS counters (
      singleton INTEGER PRIMARY KEY CHECK (singleton = 1), redemptions_count INTEGER NOT NULL, gift_card_balance INTEGER,
      mirror_dirty INTEGER NOT NULL DEFAULT 0)`);
    addColumnIfMissing(sql, "counters", "mirror_version", "INTEGER NOT NULL DEFAULT 0");
    sql.exec(`CREATE TABLE IF NOT EXISTS redemptions (
      id TEXT PRIMARY KEY, customer_id TEXT, order_id TEXT, status TEXT NOT NULL, created_at INTEGER NOT NULL, record TEXT NOT NULL,
      synced INTEGER NOT NULL DEFAULT 0, release_pending INTEGER NOT NULL DEFAULT 0)`);
    sql.exec("CREATE INDEX IF NOT EXISTS redemptions_customer ON redemptions (customer_id, status)");
    sql.exec("CREATE INDEX IF NOT EXISTS redemptions_order ON redemptions (order_id, status)");
    sql.exec("CREATE INDEX IF NOT EXISTS redemptions_unsynced ON redemptions (synced) WHERE synced = 0");
  }

  load(): Snapshot | null {
    const def = this.sql.exec<{ data: string }>("SELECT data FROM definition").toArray()[0];
    const counters = this.sql.exec<{ redemptions_count: number; gift_card_balance: number | null }>("SELECT * FROM counters").toArray()[0];
    if (!def || !counters) return null;
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

  /** `startVersion` is where numbering starts on the first save: D1's own number when loaded from D1. */
  saveCounters(counters: Counters, mirrorDirty: boolean, startVersion = 0) {
    const dirty = mirrorDirty ? 1 : 0;
    this.sql.exec(
      `INSERT INTO counters (singleton, redemptions_count, gift_card_balance, mirror_dirty, mirror_version) VALUES (1, ?, ?, ?, ?)
       ON CONFLICT (singleton) DO UPDATE SET redemptions_count = excluded.redemptions_count,
         gift_card_balance = excluded.gift_card_balance, mirror_dirty = max(mirror_dirty, excluded.mirror_dirty),
         mirror_version = mirror_version + excluded.mirror_dirty`,
      counters.redemptionsCount,
      counters.giftCardBalance,
      dirty,
      startVersion + dirty,
    );
  }

  /** The number of the latest change D1's copy must follow. */
  mirrorVersion(): number {
    return this.sql.exec<{ v: number }>("SELECT mirror_version AS v FROM counters").toArray()[0]?.v ?? 0;
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

  markRolledBack(r: RedemptionRecord) {
    this.sql.exec(
      "UPDATE redemptions SET status = 'rolled_back', record = ?, synced = 0, release_pending = ? WHERE id = ?",
      JSON.stringify(r),
      r.campaignId ? 1 : 0,
      r.id,
    );
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

  /** What D1 and the campaign have not taken yet, oldest first. */
  pending(limit: number): { redemptions: RedemptionRecord[]; releases: RedemptionRecord[]; mirrorDirty: boolean } {
    const rows = this.sql
      .exec<{ record: string; release_pending: number }>("SELECT record, release_pending FROM redemptions WHERE synced = 0 OR release_pending = 1 ORDER BY id LIMIT ?", limit)
      .toArray();
    const redemptions = rows.map((r) => JSON.parse(r.record) as RedemptionRecord);
    const mirrorDirty = (this.sql.exec<{ d: number }>("SELECT mirror_dirty AS d FROM counters").toArray()[0]?.d ?? 0) === 1;
    return { redemptions, releases: redemptions.filter((_, i) => rows[i]!.release_pending === 1), mirrorDirty };
  }

  /**
   * Marks delivered what pending() returned. A row changed since (a rollback re-marks it) stays pending, and the
   * mirror flag is cleared only when D1 was sent the latest change (`mirrorVersion`).
   */
  markDelivered(delivered: RedemptionRecord[], mirrorVersion: number) {
    for (const r of delivered) {
      this.sql.exec("UPDATE redemptions SET synced = 1, release_pending = 0 WHERE id = ? AND status = ?", r.id, r.status);
    }
    this.sql.exec("UPDATE counters SET mirror_dirty = 0 WHERE mirror_version = ?", mirrorVersion);
  }

  hasPending(): boolean {
    return (
      this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM redemptions WHERE synced = 0 OR release_pending = 1").one().n > 0 ||
      (this.sql.exec<{ d: number }>("SELECT mirror_dirty AS d FROM counters").toArray()[0]?.d ?? 0) === 1
    );
  }
}
