// npm run bench: the built worker in local workerd (Miniflare, no dev proxy), seeded through the public API,
// driven by autocannon at several concurrencies next to the platform's floor. Writes BENCHMARKS.md.
// A script, not a test: it measures and reports; nothing here asserts.
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { client, seedTeam, type Call } from "./api.ts";
import { load, type Run } from "./load.ts";
import { peakRssDuring } from "./memory.ts";
import { writeReport, type Report } from "./report.ts";
import { startServers } from "./server.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = [16, 64];
const ORDER = { amount: 10_000, currency: "EUR" };

async function bulkJob(call: Call, key: string, campaignId: string, count: number) {
  const started = performance.now();
  const job = await call("POST", "/v1/vouchers/bulk", key, { campaign_id: campaignId, count });
  for (;;) {
    const now = await call("GET", `/v1/jobs/${job.id}`, key);
    if (now.status === "completed" || now.status === "failed") return { count, status: now.status as string, seconds: (performance.now() - started) / 1000 };
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function csvExport(base: string, key: string, campaignId: string) {
  const started = performance.now();
  const measured = await peakRssDuring(async () => {
    const res = await fetch(`${base}/v1/vouchers?format=csv&campaign_id=${campaignId}`, { headers: { authorization: `Bearer ${key}` } });
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

async function main() {
  const servers = await startServers();
  const call = client(servers.appUrl);
  try {
    const team = await seedTeam(call);
    let orderSeq = 0;
    const order = () => ({ ...ORDER, id: `o-${++orderSeq}` });
    const runs: Report["runs"] = [];

    for (const c of CONNECTIONS) {
      for (const kind of ["bare", "rpc", "write"]) {
        const run = await load(`floor: ${kind}`, servers.floorUrl, () => ({ path: `/${kind}`, body: { order: ORDER } }), { connections: c, seconds: SECONDS });
        runs.push({ run, floor: null });
      }
    }
    const floorOf = (kind: string, c: number) => runs.find((r) => r.run.name === `floor: ${kind}` && r.run.connections === c)!.run;

    const validateKey = await team.key("validate");
    await call("POST", "/v1/vouchers", validateKey, { code: "BENCH-WARM", discount: { type: "percent", percent_off: 10 } });
    const manyKey = await team.key("redeem-many");
    const codes: string[] = [];
    for (let i = 0; i < 200; i++) codes.push((await call("POST", "/v1/vouchers", manyKey, { discount: { type: "amount", amount_off: 100 }, currency: "EUR" })).code);
    const stormKey = await team.key("storm");
    await call("POST", "/v1/vouchers", stormKey, { code: "BENCH-HOT", discount: { type: "amount", amount_off: 100 }, currency: "EUR" });

    for (const c of CONNECTIONS) {
      const opts = (token: string) => ({ connections: c, seconds: SECONDS, token });
      const validate: Run = await load("validate, one warm voucher", servers.appUrl, () => ({ path: "/v1/vouchers/BENCH-WARM/validate", body: { customer_id: "c-1", order: ORDER } }), opts(validateKey));
      runs.push({ run: validate, floor: floorOf("rpc", c) });
      let i = 0;
      const distinct = await load("redeem, 200 distinct vouchers", servers.appUrl, () => ({ path: `/v1/vouchers/${codes[i++ % codes.length]}/redeem`, body: { order: order() } }), opts(manyKey));
      runs.push({ run: distinct, floor: floorOf("write", c) });
      const storm = await load("redeem storm, one hot voucher", servers.appUrl, () => ({ path: "/v1/vouchers/BENCH-HOT/redeem", body: { order: order() } }), opts(stormKey));
      runs.push({ run: storm, floor: floorOf("write", c) });
    }

    const bulkKey = await team.key("bulk");
    const campaign = (size: string) => call("POST", "/v1/campaigns", bulkKey, { name: `Bulk ${size}`, discount: { type: "percent", percent_off: 5 }, code_pattern: { prefix: `${size}-`, length: 10 } });
    const small = await campaign("S");
    const large = await campaign("L");
    const bulk = [await bulkJob(call, bulkKey, small.id, 5_000), await bulkJob(call, bulkKey, large.id, 50_000)];
    const exports = [
      { count: 5_000, ...(await csvExport(servers.appUrl, bulkKey, small.id)) },
      { count: 50_000, ...(await csvExport(servers.appUrl, bulkKey, large.id)) },
    ];
    const bundle = readFileSync(servers.appScript);
    writeReport({ runs, bulk, exports, bundle: { bytes: bundle.byteLength, gzipBytes: gzipSync(bundle).byteLength }, seconds: SECONDS });
  } finally {
    await servers.dispose();
  }
}

await main();
