// npm run bench: the built worker in local workerd (Miniflare, no dev proxy), seeded through the public API,
// driven by autocannon at several concurrencies next to the platform's floor; checkout latency at 1, 16 and 64
// connections beside its floors (checkout-latency.ts), and a mixed soak with its invariants (soak.ts). Writes
// BENCHMARKS.md. BENCH_SECONDS, BENCH_LATENCY_SECONDS, BENCH_SOAK_SECONDS and BENCH_LAG_SECONDS set the durations.
// A script, not a test: it measures and reports; nothing here asserts.
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { client, seedTeam, type Call } from "./api.ts";
import { D1Writes } from "./d1-writes.ts";
import { measureLag } from "./lag.ts";
import { load, type NextRequest, type Run } from "./load.ts";
import { writeReport, type Report } from "./report.ts";
import { startServers } from "./server.ts";
import { measureCsv, reportExport, seedRedemptions } from "./report-csv.ts";
import { checkoutLatency } from "./checkout-latency.ts";
import { soak } from "./soak.ts";
import { edgeModel } from "./edge-model.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = [16, 64];
const ORDER = { amount: 10_000, currency: "EUR" };
/** Redeem spread over this many vouchers, beside a floor that writes to as many Durable Objects. */
const SPREADS = [200, 2_000];
/** The lag runs: load at 16 connections for this long, with probers polling the customer's history. */
const LAG_SECONDS = Number(process.env.BENCH_LAG_SECONDS ?? 10);
/** Each checkout latency run (and its floor's). */
const LATENCY_SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? SECONDS);
/** The mixed soak: a few minutes by default; its invariants are checked after it. */
const SOAK_SECONDS = Number(process.env.BENCH_SOAK_SECONDS ?? 180);

const spreadName = (n: number) => `redeem, ${n.toLocaleString("en")} distinct vouchers`;
const spreadFloor = (n: number) => `write, ${n.toLocaleString("en")} objects`;

/** Runs `make` for 0…count-1, `width` at a time. */
async function inParallel<T>(count: number, width: number, make: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < count) {
      const i = next++;
      out[i] = await make(i);
    }
  }));
  return out;
}

async function bulkJob(call: Call, key: string, campaignId: string, count: number) {
  const started = performance.now();
  const job = await call("POST", "/v1/vouchers/bulk", key, { campaign_id: campaignId, count });
  for (;;) {
    const now = await call("GET", `/v1/jobs/${job.id}`, key);
    if (now.status === "completed" || now.status === "failed") return { count, status: now.status as string, seconds: (performance.now() - started) / 1000 };
    await new Promise((r) => setTimeout(r, 100));
  }
}

const csvExport = (base: string, key: string, campaignId: string) => measureCsv(`${base}/v1/vouchers?format=csv&campaign_id=${campaignId}`, key);

async function main() {
  const d1 = new D1Writes();
  const servers = await startServers({ onLog: d1.onLog });
  const call = client(servers.appUrl);
  try {
    const team = await seedTeam(call);
    let orderSeq = 0;
    const order = () => ({ ...ORDER, id: `o-${++orderSeq}` });
    const runs: Report["runs"] = [];
    /**
     * A load run, with the D1 write transactions it caused per second of load: those committed from its start
     * until the consumers fall quiet after it (the ledger trails the load by a second or two).
     */
    const measured = async (name: string, url: string, next: NextRequest, options: Parameters<typeof load>[3]) => {
      await d1.settled();
      const start = performance.now();
      const run = await load(name, url, next, options);
      return { run, d1: d1.between(start, await d1.settled(), options.seconds) };
    };
    /**
     * Brings every object of a spread run into memory first, the floor's and the vouchers' alike: local workerd
     * evicts an object after 10 s without a call (production after 70-140 s), and a run over 2,000 objects
     * reaches each one less often than that.
     */
    const warm = (count: number, request: (i: number) => Promise<Response>) => inParallel(count, 16, (i) => request(i).then((r) => r.text()));
    const warmFloor = (n: number) => warm(n, (i) => fetch(`${servers.floorUrl}/write/${i}`, { method: "POST", body: "{}" }));

    for (const c of CONNECTIONS) {
      for (const kind of ["bare", "rpc", "write"]) {
        const run = await load(`floor: ${kind}`, servers.floorUrl, () => ({ path: `/${kind}`, body: { order: ORDER } }), { connections: c, seconds: SECONDS });
        runs.push({ run, floor: null });
      }
      for (const n of SPREADS) {
        let i = 0;
        await warmFloor(n);
        const run = await load(`floor: ${spreadFloor(n)}`, servers.floorUrl, () => ({ path: `/write/${i++ % n}`, body: { order: ORDER } }), { connections: c, seconds: SECONDS });
        runs.push({ run, floor: null });
      }
    }
    const floorOf = (kind: string, c: number) => runs.find((r) => r.run.name === `floor: ${kind}` && r.run.connections === c)!.run;

    const validateKey = await team.key("validate");
    await call("POST", "/v1/vouchers", validateKey, { code: "BENCH-WARM", discount: { type: "percent", percent_off: 10 } });
    const spread = await Promise.all(
      SPREADS.map(async (n) => {
        const key = await team.key(`redeem-${n}`);
        const codes = await inParallel(n, 16, async () => (await call("POST", "/v1/vouchers", key, { discount: { type: "amount", amount_off: 100 }, currency: "EUR" })).code as string);
        return { n, key, codes };
      }),
    );
    const stormKey = await team.key("storm");
    await call("POST", "/v1/vouchers", stormKey, { code: "BENCH-HOT", discount: { type: "amount", amount_off: 100 }, currency: "EUR" });

    for (const c of CONNECTIONS) {
      const opts = (token: string) => ({ connections: c, seconds: SECONDS, token });
      const validate = await measured("validate, one warm voucher", servers.appUrl, () => ({ path: "/v1/vouchers/BENCH-WARM/validate", body: { customer_id: "c-1", order: ORDER } }), opts(validateKey));
      runs.push({ ...validate, floor: floorOf("rpc", c) });
      for (const { n, key, codes } of spread) {
        let i = 0;
        await warm(n, (j) => fetch(`${servers.appUrl}/v1/vouchers/${codes[j]}`, { headers: { authorization: `Bearer ${key}` } }));
        const distinct = await measured(spreadName(n), servers.appUrl, () => ({ path: `/v1/vouchers/${codes[i++ % codes.length]}/redeem`, body: { order: order() } }), opts(key));
        runs.push({ ...distinct, floor: floorOf(spreadFloor(n), c) });
      }
      const storm = await measured("redeem storm, one hot voucher", servers.appUrl, () => ({ path: "/v1/vouchers/BENCH-HOT/redeem", body: { order: order() } }), opts(stormKey));
      runs.push({ ...storm, floor: floorOf("write", c) });
    }

    const latency = { rows: await checkoutLatency(servers, call, team, LATENCY_SECONDS), seconds: LATENCY_SECONDS };
    const soaked = await soak(servers, call, await seedTeam(call), SOAK_SECONDS, () => d1.settled());

    // History lag under load: the spread load at 16 connections, probers on a key of their own.
    const lag: Report["lag"] = [];
    const lagKey = await team.key("lag");
    for (const { n, key, codes } of spread) {
      let i = 0;
      await warm(n, (j) => fetch(`${servers.appUrl}/v1/vouchers/${codes[j]}`, { headers: { authorization: `Bearer ${key}` } }));
      await d1.settled();
      const start = performance.now();
      const [run, result] = await Promise.all([
        load(spreadName(n), servers.appUrl, () => ({ path: `/v1/vouchers/${codes[i++ % codes.length]}/redeem`, body: { order: order() } }), { connections: 16, seconds: LAG_SECONDS, token: key }),
        measureLag(servers.appUrl, lagKey, codes, { probers: 8, seconds: LAG_SECONDS, pollMs: 50, tag: String(n) }),
      ]);
      lag.push({ run, result, d1: d1.between(start, await d1.settled(), LAG_SECONDS) });
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
    const reportTeam = await seedTeam(call);
    await seedRedemptions(await servers.appD1(), reportTeam.teamId);
    const report = await reportExport(servers.appUrl, await reportTeam.key("report"));
    const bundle = readFileSync(servers.appScript);
    await servers.dispose();
    // Its own pair of servers, with the hop shim in front of both workers.
    const edge = await edgeModel(LATENCY_SECONDS);
    writeReport({ runs, lag, bulk, exports, report, bundle: { bytes: bundle.byteLength, gzipBytes: gzipSync(bundle).byteLength }, seconds: SECONDS, latency, edge, soak: soaked });
  } finally {
    await servers.dispose();
  }
}

await main();
