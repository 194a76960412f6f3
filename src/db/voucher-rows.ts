// How a D1 voucher row maps to the voucher object's state. The other direction, the object's changes reaching D1,
// is the ledger stream's (src/queues/ledger-writes.ts).
import type { Snapshot } from "../objects/voucher";
import type { Discount, Rules } from "../domain/voucher-rules";

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

/** The voucher object's change number a D1 `vouchers` row shows (the ledger's voucher_state entries move it forward). */
export const mirrorVersionOf = (row: Row): number => Number(row.mirror_version ?? 0);
