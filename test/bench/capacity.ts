// npm run bench:capacity: what the ledger stream costs D1 in space and write time, measured rather than guessed.
// Applies the D1 migrations to a fresh SQLite file (D1 is SQLite, 4 KiB pages), writes redemptions through the
// very statements the ledger consumer runs (src/queues/ledger-writes.ts), in deliveries of 100 messages, and
// reads each table's and index's size from SQLite's dbstat. Prints a table for BENCHMARKS.md's capacity plan.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { gzipSync } from "node:zlib";
import type { LedgerEntry, LedgerMessage } from "../../src/domain/ledger.ts";
import { planLedgerWrites } from "../../src/queues/ledger-writes.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const REDEMPTIONS = Number(process.env.CAPACITY_REDEMPTIONS ?? 200_000);
const VOUCHERS = 2_000;
/** Redemptions per customer: 4 means a quarter of the redemptions bring a new customer row. */
const PER_CUSTOMER = 4;

type Shape = { name: string; order: (i: number) => Record<string, unknown> };
const SHAPES: Shape[] = [
  { name: "order id, amount, currency (the benchmark's)", order: (i) => ({ id: `ord_${(1e9 + i).toString(36)}`, amount: 10_000, currency: "EUR" }) },
  {
    name: "plus 3 order lines",
    order: (i) => ({
      id: `ord_${(1e9 + i).toString(36)}`,
      amount: 12_990,
      currency: "EUR",
      items: [
        { sku: `SKU-${i % 500}-RED-M`, quantity: 1, unit_price: 4_990 },
        { sku: `SKU-${(i + 7) % 500}-BLUE-L`, quantity: 1, unit_price: 3_500 },
        { sku: `SKU-${(i + 13) % 500}`, quantity: 2, unit_price: 2_250 },
      ],
    }),
  },
];

/** The consumer's statements, bound for node:sqlite instead of D1. */
type Bound = { sql: string; json: string };
const shim = { prepare: (sql: string) => ({ bind: (json: string): Bound => ({ sql, json }) }) };

function migrate(db: DatabaseSync) {
  for (const file of readdirSync(join(ROOT, "migrations")).filter((f) => f.endsWith(".sql")).sort()) {
    for (const statement of readFileSync(join(ROOT, "migrations", file), "utf8").split("--> statement-breakpoint")) {
      if (statement.trim()) db.exec(statement);
    }
  }
}

function sizes(db: DatabaseSync): Map<string, number> {
  const rows = db.prepare("SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name").all() as { name: string; bytes: number }[];
  return new Map(rows.map((r) => [r.name, r.bytes]));
}

function measure(shape: Shape) {
  const dir = mkdtempSync(join(tmpdir(), "vauchflow-capacity-"));
  const db = new DatabaseSync(join(dir, "d1.sqlite"));
  try {
    migrate(db);
    const now = Date.now();
    db.exec(`INSERT INTO teams (id, name, created_at) VALUES ('team_01CAPACITY0000000000000000', 'Capacity', ${now})`);
    const voucherId = (v: number) => `vch_01CAPACITY${v.toString().padStart(16, "0")}`;
    const insertVoucher = db.prepare(
      `INSERT INTO vouchers (id, team_id, code, type, discount, currency, redemptions_count, rules, active, metadata, created_at, updated_at)
       VALUES (?, 'team_01CAPACITY0000000000000000', ?, 'discount', '{"type":"amount","amount_off":100}', 'EUR', 0, '{}', 1, '{}', ?, ?)`,
    );
    for (let v = 0; v < VOUCHERS; v++) insertVoucher.run(voucherId(v), `CAP-${v.toString(36).toUpperCase().padStart(6, "0")}`, now, now);
    const before = sizes(db);

    let written = 0;
    let transactions = 0;
    let writeMs = 0;
    let rows = 0;
    while (written < REDEMPTIONS) {
      // One delivery: 100 messages, one per voucher object, each with its redemptions and the voucher's new state.
      const messages: LedgerMessage[] = [];
      for (let m = 0; m < 100 && written < REDEMPTIONS; m++) {
        const v = (written + m * 7) % VOUCHERS;
        const entries: LedgerEntry[] = [];
        for (let k = 0; k < 3 && written < REDEMPTIONS; k++, written++) {
          const i = written;
          entries.push({
            kind: "redemption",
            redemption: {
              id: `red_01${(now + i).toString(36).toUpperCase()}${i.toString(36).toUpperCase().padStart(10, "0")}`,
              voucherId: voucherId(v),
              code: `CAP-${v.toString(36).toUpperCase().padStart(6, "0")}`,
              campaignId: null,
              customerId: `cus_${Math.floor(i / PER_CUSTOMER).toString(36).padStart(8, "0")}`,
              order: shape.order(i) as { amount: number },
              discountAmount: 100,
              currency: "EUR",
              status: "redeemed",
              createdAt: now + i,
              rolledBackAt: null,
              rollbackReason: null,
            },
          });
        }
        entries.push({ kind: "voucher_state", voucher_id: voucherId(v), version: written, redemptions_count: written, gift_card_balance: null, active: true, expires_at: null, metadata: {}, updated_at: now });
        messages.push({ format: 1, team_id: "team_01CAPACITY0000000000000000", source: `cap:${v}`, oldest_at: now, entries });
      }
      const plan = planLedgerWrites(shim, messages);
      for (const t of plan.transactions) {
        const started = performance.now();
        db.exec("BEGIN");
        for (const s of t.statements) db.prepare(s.sql).run(s.json);
        db.exec("COMMIT");
        writeMs += performance.now() - started;
        transactions += 1;
        rows += t.rows;
      }
    }
    const after = sizes(db);
    const grew = (name: string) => (after.get(name) ?? 0) - (before.get(name) ?? 0);
    const objects = [...after.keys()].filter((n) => n.startsWith("redemptions") || n.startsWith("sqlite_autoindex_redemptions") || n.startsWith("customers") || n.startsWith("sqlite_autoindex_customers"));
    const perRedemption = Object.fromEntries(objects.map((n) => [n, grew(n) / REDEMPTIONS]));
    const total = objects.reduce((sum, n) => sum + grew(n), 0) / REDEMPTIONS;
    // What archiving to R2 would keep: the rows as gzipped NDJSON.
    const ndjson = (db.prepare("SELECT json_object('id', id, 'team_id', team_id, 'voucher_id', voucher_id, 'code', code, 'campaign_id', campaign_id, 'customer_id', customer_id, 'order', json(\"order\"), 'discount_amount', discount_amount, 'currency', currency, 'status', status, 'created_at', created_at, 'rolled_back_at', rolled_back_at, 'rollback_reason', rollback_reason) AS line FROM redemptions").all() as { line: string }[])
      .map((r) => r.line)
      .join("\n");
    const archived = gzipSync(ndjson).byteLength / REDEMPTIONS;
    return { shape: shape.name, perRedemption, total, archived, transactions, rowsPerTransaction: rows / transactions, msPerTransaction: writeMs / transactions };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const GB = 1e9;
for (const shape of SHAPES) {
  const r = measure(shape);
  console.log(`\n${r.shape}: ${REDEMPTIONS.toLocaleString("en")} redemptions over ${VOUCHERS} vouchers, a new customer every ${PER_CUSTOMER}`);
  console.log("| table or index | bytes per redemption |");
  console.log("| --- | ---: |");
  for (const [name, bytes] of Object.entries(r.perRedemption)) console.log(`| ${name} | ${bytes.toFixed(0)} |`);
  console.log(`| **total** | **${r.total.toFixed(0)}** |`);
  console.log(`10 GB holds ${(10 * GB / r.total / 1e6).toFixed(1)} million redemptions; archived as gzipped NDJSON, ${r.archived.toFixed(0)} bytes each.`);
  console.log(`${r.transactions} write transactions of ${r.rowsPerTransaction.toFixed(0)} rows, ${r.msPerTransaction.toFixed(2)} ms each in local SQLite (no network).`);
}
