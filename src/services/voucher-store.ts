// How a voucher and its redemptions map between the voucher object and D1, in one place.
import type { RedemptionRecord, Snapshot } from "../objects/voucher";
import type { Discount, Rules } from "./voucher-rules";

type Row = Record<string, unknown>;
const json = <T>(value: unknown): T => (typeof value === "string" ? (JSON.parse(value) as T) : (value as T));
const num = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

/** A D1 `vouchers` row (snake_case, as D1 returns it) → the object's snapshot. */
export function definitionFromRow(row: Row): Snapshot {
  return {
    definition: {
      id: String(row.id),
      teamId: String(row.team_id),
      code: String(row.code),
      campaignId: (row.campaign_id as string | null) ?? null,
      type: row.type as "discount" | "gift_card",
      discount: json<Discount | null>(row.discount ?? null),
      giftCardAmount: num(row.gift_card_amount),
      currency: (row.currency as string | null) ?? null,
      redemptionLimit: num(row.redemption_limit),
      perCustomerLimit: num(row.per_customer_limit),
      rules: json<Rules>(row.rules),
      startsAt: num(row.starts_at),
      expiresAt: num(row.expires_at),
      active: Boolean(row.active),
      metadata: json<Record<string, string>>(row.metadata),
      createdAt: Number(row.created_at),
      updatedAt: Number(row.updated_at),
    },
    counters: { redemptionsCount: Number(row.redemptions_count ?? 0), giftCardBalance: num(row.gift_card_balance) },
  };
}

/** The voucher object's change number a D1 `vouchers` row shows (see mirrorStatement). */
export const mirrorVersionOf = (row: Row): number => Number(row.mirror_version ?? 0);

/**
 * Brings the D1 listing copy up to the object's state as of change `version`. It applies only over an older
 * change, so of two flushes landing out of order the later-numbered one wins.
 */
export function mirrorStatement(db: D1Database, { definition: d, counters }: Snapshot, version: number) {
  return db
    .prepare(
      `UPDATE vouchers SET redemptions_count = ?, gift_card_balance = ?, active = ?, expires_at = ?, metadata = ?, updated_at = ?,
                           mirror_version = ?
        WHERE id = ? AND team_id = ? AND mirror_version < ?`,
    )
    .bind(counters.redemptionsCount, counters.giftCardBalance, d.active ? 1 : 0, d.expiresAt, JSON.stringify(d.metadata), d.updatedAt, version, d.id, d.teamId, version);
}

/**
 * Upserts a redemption (a rollback updates the same row) and registers an unknown customer on first use. A
 * rollback is final, so a stale "redeemed" write landing after it changes nothing.
 */
export function redemptionStatements(db: D1Database, teamId: string, r: RedemptionRecord) {
  const statements = [
    db
      .prepare(
        `INSERT INTO redemptions (id, team_id, voucher_id, code, campaign_id, customer_id, order_id, "order", discount_amount, currency,
                                  status, created_at, rolled_back_at, rollback_reason)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, rolled_back_at = excluded.rolled_back_at,
                                        rollback_reason = excluded.rollback_reason
           WHERE redemptions.status = 'redeemed'`,
      )
      .bind(
        r.id,
        teamId,
        r.voucherId,
        r.code,
        r.campaignId,
        r.customerId,
        r.order.id ?? null,
        JSON.stringify(r.order),
        r.discountAmount,
        r.currency,
        r.status,
        r.createdAt,
        r.rolledBackAt,
        r.rollbackReason,
      ),
  ];
  if (r.customerId) {
    statements.push(
      db.prepare(`INSERT OR IGNORE INTO customers (team_id, id, metadata, created_at) VALUES (?, ?, '{}', ?)`).bind(teamId, r.customerId, r.createdAt),
    );
  }
  return statements;
}
