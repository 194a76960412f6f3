// CSV answers measured while streamed, and the redemption report (GET /v1/reports/redemptions) over 50,000 redemptions: seeded straight into D1
// (the API would take minutes to make them), then streamed while workerd's memory is watched.
import { peakRssDuring } from "./memory.ts";
import type { startServers } from "./server.ts";

const REPORT_ROWS = 50_000;

/** Redemptions (50,000 by default) straight into D1 (a few statements of 1,000 rows), as the ledger consumer would write them. */
export async function seedRedemptions(db: Awaited<ReturnType<Awaited<ReturnType<typeof startServers>>["appD1"]>>, teamId: string, count = REPORT_ROWS) {
  const start = Date.now() - 3_600_000;
  for (let i = 0; i < count; i += 1000) {
    const rows = Array.from({ length: 1000 }, (_, j) => {
      const n = i + j;
      const id = `red_BENCH${String(n).padStart(21, "0")}`;
      return [id, teamId, "vch_BENCH", "BENCH-REPORT", null, `cus-${n % 5000}`, `o-${n}`, JSON.stringify({ id: `o-${n}`, amount: 5000 }), 500, "EUR", n % 10 === 0 ? "rolled_back" : "redeemed", start + n, n % 10 === 0 ? start + n + 1 : null, n % 10 === 0 ? "customer changed, \"their\" mind" : null];
    });
    await db
      .prepare(
        `INSERT INTO redemptions (id, team_id, voucher_id, code, campaign_id, customer_id, order_id, "order", discount_amount, currency, status, created_at, rolled_back_at, rollback_reason)
         SELECT ${Array.from({ length: 14 }, (_, k) => `json_extract(value, '$[${k}]')`).join(", ")} FROM json_each(?1)`,
      )
      .bind(JSON.stringify(rows))
      .run();
  }
}

/** Streams a CSV answer to the end: its rows, bytes, time, and workerd's memory before and at its peak meanwhile. */
export async function measureCsv(url: string, key: string) {
  const started = performance.now();
  const measured = await peakRssDuring(async () => {
    const res = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
    let bytes = 0;
    let lines = 0;
    for await (const chunk of res.body!) {
      bytes += chunk.byteLength;
      for (const b of chunk) if (b === 10) lines += 1;
    }
    return { bytes, rows: lines - 1 };
  });
  return { ...measured.result, seconds: (performance.now() - started) / 1000, rssBeforeMiB: measured.beforeMiB, rssPeakMiB: measured.peakMiB };
}

/** The redemption report of the seeded rows. */
export async function reportExport(base: string, key: string, count = REPORT_ROWS) {
  return { count, ...(await measureCsv(`${base}/v1/reports/redemptions`, key)) };
}
