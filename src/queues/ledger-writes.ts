// What each entry kind of the ledger stream writes to D1. A delivery's entries become rows of a few target tables;
// each target's rows go in by one statement per chunk that reads them from a single JSON parameter (json_each),
// so one transaction carries hundreds of rows while each statement binds one parameter (D1 allows 100).
// Every write is idempotent and indifferent to order, because the queue delivers at least once and in no fixed
// order: within a delivery, rows for the same key are merged first by the target's own rule, and D1 applies
// the same rule against what it already holds.
// What rides along with the redemption rows (rollups, checkout events, fraud checks, erasure), and with the customer
// reservation rows (the erasure check), comes in through `PlanHooks` from the consumer (./ledger.ts), so this file
// stays free of runtime imports: `npm run bench:capacity` runs it on Node's SQLite.
import type { LedgerEntry, LedgerMessage } from "../domain/ledger";

type Redemption = Extract<LedgerEntry, { kind: "redemption" }>["redemption"];

export type PlanHooks<S> = {
  /** Cells appended to a redemption row (after the table's 14 columns), for the statements around it. */
  redemptionCells?: (r: Redemption) => Cell[];
  /** Whether a redemption's customer is registered in `customers` (an erased one's pseudonym is not). */
  registers?: (customerId: string) => boolean;
  /** Statements before and after one chunk of redemption rows, in the same transaction. */
  aroundRedemptions?: (json: string) => { before: S[]; after: S[] };
  /** Cells appended to a customer reservation row (after its 6): the erasure subject it is checked against. */
  reservationCells?: (teamId: string, customerId: string) => Cell[];
  /** Statements after one chunk of customer reservation rows, in the same transaction. */
  afterReservations?: (json: string) => S[];
};

type Cell = string | number | null;
type Row = Cell[];

/** Rows per statement, and bytes of its JSON parameter: every statement stays well under D1's 100 KB. */
export const STATEMENT_MAX_ROWS = 500;
export const STATEMENT_MAX_BYTES = 90_000;
/** Rows per transaction (one db.batch); a delivery that carries more is written in several. */
export const TRANSACTION_MAX_ROWS = 2_000;

const col = (i: number) => `json_extract(value, '$[${i}]')`;
const cols = (n: number) => Array.from({ length: n }, (_, i) => col(i)).join(", ");

/** A table the stream writes: its statement over `json_each(?1)`, and how two rows with the same key merge. */
type Target = { sql: string; merge: (held: Row, next: Row) => Row };

const REDEMPTION_STATUS = 10;

const TARGETS = {
  /** A rollback is final: a late "redeemed" never undoes it, in D1 or within a delivery. */
  redemptions: {
    sql: `INSERT INTO redemptions (id, team_id, voucher_id, code, campaign_id, customer_id, order_id, "order", discount_amount, currency,
                                   status, created_at, rolled_back_at, rollback_reason)
          SELECT ${cols(14)} FROM json_each(?1) WHERE true
          ON CONFLICT (id) DO UPDATE SET status = excluded.status, rolled_back_at = excluded.rolled_back_at, rollback_reason = excluded.rollback_reason
            WHERE redemptions.status = 'redeemed'`,
    merge: (held, next) => (held[REDEMPTION_STATUS] === "rolled_back" ? held : next),
  },
  /** A customer redeeming for the first time is registered; one already known is left as it is. */
  customers: {
    sql: `INSERT OR IGNORE INTO customers (team_id, id, metadata, created_at) SELECT ${col(0)}, ${col(1)}, '{}', ${col(2)} FROM json_each(?1)`,
    merge: (held, next) => (Number(held[2]) <= Number(next[2]) ? held : next),
  },
  /** The listing copy moves only forward: the highest change number wins. */
  vouchers: {
    sql: `UPDATE vouchers SET mirror_version = json_extract(m.value, '$[2]'), redemptions_count = json_extract(m.value, '$[3]'),
                 gift_card_balance = json_extract(m.value, '$[4]'), active = json_extract(m.value, '$[5]'),
                 expires_at = json_extract(m.value, '$[6]'), metadata = json_extract(m.value, '$[7]'), updated_at = json_extract(m.value, '$[8]')
            FROM json_each(?1) AS m
           WHERE vouchers.id = json_extract(m.value, '$[0]') AND vouchers.team_id = json_extract(m.value, '$[1]')
             AND vouchers.mirror_version < json_extract(m.value, '$[2]')`,
    merge: (held, next) => (Number(held[2]) >= Number(next[2]) ? held : next),
  },
  /** Running totals: the larger wins, so a repeated or late message adds nothing. */
  voucher_validations: {
    sql: `INSERT INTO voucher_validations (team_id, voucher_id, hour, validations, valid) SELECT ${cols(5)} FROM json_each(?1) WHERE true
          ON CONFLICT (team_id, voucher_id, hour) DO UPDATE SET validations = max(validations, excluded.validations), valid = max(valid, excluded.valid)`,
    merge: (held, next) => [held[0]!, held[1]!, held[2]!, Math.max(Number(held[3]), Number(next[3])), Math.max(Number(held[4]), Number(next[4]))],
  },
  /**
   * Which vouchers hold a customer's reservations; the latest time reported wins. A row whose customer was erased
   * after its earliest reservation (cell 6: the erasure subject) is not recorded: that erasure covers it, and the
   * consumer tells the objects (ledger-erasures.ts), in the same transaction's view of customer_erasures.
   */
  customer_reservations: {
    sql: `INSERT INTO customer_reservations (team_id, customer_id, code, campaign_id, reserved_at)
          SELECT ${col(0)}, ${col(1)}, ${col(2)}, ${col(3)}, ${col(5)} FROM json_each(?1)
           WHERE NOT EXISTS (SELECT 1 FROM customer_erasures e WHERE e.subject_hash = ${col(6)} AND e.erased_at > ${col(4)})
          ON CONFLICT (team_id, customer_id, code) DO UPDATE SET reserved_at = max(reserved_at, excluded.reserved_at), campaign_id = excluded.campaign_id`,
    merge: (held, next) => [held[0]!, held[1]!, held[2]!, next[3] ?? null, Math.min(Number(held[4]), Number(next[4])), Math.max(Number(held[5]), Number(next[5])), ...held.slice(6)],
  },
} satisfies Record<string, Target>;

type TargetName = keyof typeof TARGETS;
type Keyed = [TargetName, string, Row];

/** The rows one entry writes, each under its target's key. A new entry kind is a new case here. */
function rowsOf<S>(teamId: string, e: LedgerEntry, hooks: PlanHooks<S>): Keyed[] {
  switch (e.kind) {
    case "redemption": {
      const r = e.redemption;
      const row: Row = [r.id, teamId, r.voucherId, r.code, r.campaignId, r.customerId, r.order.id ?? null, JSON.stringify(r.order), r.discountAmount,
        r.currency, r.status, r.createdAt, r.rolledBackAt, r.rollbackReason, ...(hooks.redemptionCells?.(r) ?? [])];
      const rows: Keyed[] = [["redemptions", r.id, row]];
      if (r.customerId && (hooks.registers?.(r.customerId) ?? true)) rows.push(["customers", `${teamId}\u0000${r.customerId}`, [teamId, r.customerId, r.createdAt]]);
      return rows;
    }
    case "voucher_state":
      return [["vouchers", e.voucher_id, [e.voucher_id, teamId, e.version, e.redemptions_count, e.gift_card_balance, e.active ? 1 : 0, e.expires_at,
        JSON.stringify(e.metadata), e.updated_at]]];
    case "validation_count":
      return [["voucher_validations", `${teamId}\u0000${e.voucher_id}\u0000${e.hour}`, [teamId, e.voucher_id, e.hour, e.validations, e.valid]]];
    case "customer_reservation":
      // [team, customer, code, campaign, earliest reservation, latest reservation, ...cells]
      return [["customer_reservations", `${teamId}\u0000${e.customer_id}\u0000${e.code}`, [teamId, e.customer_id, e.code, e.campaign_id, e.reserved_at,
        e.reserved_at, ...(hooks.reservationCells?.(teamId, e.customer_id) ?? [])]]];
  }
}

const encoder = new TextEncoder();

/** Splits rows into statement parameters (JSON arrays) within the row and byte bounds. */
function chunks(rows: Row[]): { json: string; count: number }[] {
  const out: { json: string; count: number }[] = [];
  let part: string[] = [];
  let bytes = 2;
  const close = () => out.push({ json: `[${part.join(",")}]`, count: part.length });
  for (const row of rows) {
    const json = JSON.stringify(row);
    const size = encoder.encode(json).byteLength + 1;
    if (part.length > 0 && (part.length >= STATEMENT_MAX_ROWS || bytes + size > STATEMENT_MAX_BYTES)) {
      close();
      part = [];
      bytes = 2;
    }
    part.push(json);
    bytes += size;
  }
  if (part.length > 0) close();
  return out;
}

/** What the plan needs of D1's binding (its statements are D1's; `npm run bench:capacity` runs them on SQLite). */
export type Preparer<S> = { prepare(sql: string): { bind(json: string): S } };

export type LedgerPlan<S> = { transactions: { statements: S[]; rows: number }[]; entries: number; rows: number };

/** The D1 transactions that write these messages: usually one. */
export function planLedgerWrites<S>(db: Preparer<S>, messages: readonly LedgerMessage[], hooks: PlanHooks<S> = {}): LedgerPlan<S> {
  const merged = new Map<TargetName, Map<string, Row>>();
  let entries = 0;
  for (const m of messages) {
    for (const e of m.entries) {
      entries += 1;
      for (const [target, key, row] of rowsOf(m.team_id, e, hooks)) {
        const rows = merged.get(target) ?? merged.set(target, new Map()).get(target)!;
        const held = rows.get(key);
        rows.set(key, held ? TARGETS[target].merge(held, row) : row);
      }
    }
  }
  const transactions: LedgerPlan<S>["transactions"] = [];
  let current: LedgerPlan<S>["transactions"][number] = { statements: [], rows: 0 };
  let total = 0;
  for (const [target, rows] of merged) {
    for (const { json, count } of chunks([...rows.values()])) {
      if (current.rows > 0 && current.rows + count > TRANSACTION_MAX_ROWS) {
        transactions.push(current);
        current = { statements: [], rows: 0 };
      }
      const around = target === "redemptions" ? hooks.aroundRedemptions?.(json) : undefined;
      const after = target === "customer_reservations" ? (hooks.afterReservations?.(json) ?? []) : (around?.after ?? []);
      current.statements.push(...(around?.before ?? []), db.prepare(TARGETS[target].sql).bind(json), ...after);
      current.rows += count;
      total += count;
    }
  }
  if (current.rows > 0) transactions.push(current);
  return { transactions, entries, rows: total };
}
