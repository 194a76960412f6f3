// Checkout latency in a model of the edge (issue 16). Local workerd runs the worker and every Durable Object on one
// thread with no network between them, so the checkout latency table measures CPU: a warm validate's two calls made
// at once cost what two calls in a row cost, and the overlap cannot show. At the edge an object call is a network
// round trip; this model puts one in front of every object call, in the API and in its floor alike
// (test/bench/edge/hops.js, a shim in front of the built workers, never deployed), and measures at one connection
// with no hop and with hops of a few milliseconds. What the overlap buys shows as the difference between a warm
// validate (two calls at once: one hop) and the same validate with a key that does not name its team (two calls
// in a row: two hops), each beside the floor that makes as many hops.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { client, seedTeam } from "./api.ts";
import { legacyKey } from "./legacy-key.ts";
import { type Latency, measureLatency, post, type Unit } from "./latency.ts";
import { BENCH_KEY_CHECK_SECRET, startServers } from "./server.ts";

/**
 * The hop of each run: none (this machine as it is), then round trips as within a colo, to a nearby location, and
 * to one farther off. A hop is a request to a local server in this process that answers after that many
 * milliseconds (workerd's own timers fire 1–3 ms late, and unevenly when two are due together), so it also costs
 * a local request's few tenths of a millisecond, in the API and in its floor alike.
 */
export const EDGE_HOPS_MS = [0, 1, 5, 20];
const ORDER = { amount: 10_000, currency: "EUR" };

export type EdgeRow = { hopMs: number; hops: string; run: Latency; floor: Latency };

/** The network of the model: answers `GET /?ms=N` after N milliseconds. */
async function delayServer() {
  const server = http.createServer((req, res) => {
    const ms = Number(new URL(req.url ?? "/", "http://delay").searchParams.get("ms") ?? 0);
    setTimeout(() => res.end(), ms);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, close: () => server.close() };
}

export async function edgeModel(seconds: number): Promise<EdgeRow[]> {
  const network = await delayServer();
  const servers = await startServers({ hops: true });
  try {
    const call = client(servers.appUrl);
    const team = await seedTeam(call);
    const key = await team.key("edge-validate");
    await call("POST", "/v1/vouchers", key, { code: "EDGE-WARM", discount: { type: "percent", percent_off: 10 } });
    const oldKey = await legacyKey(await servers.appD1(), BENCH_KEY_CHECK_SECRET, team.teamId);
    const validate = post(() => "/v1/vouchers/EDGE-WARM/validate", () => ({ customer_id: "c-1", order: ORDER }));
    const floorPost = (path: string): Unit => post(() => path, () => ({ order: ORDER }));
    const oneCall = { name: "1 call", unit: floorPost("/rpc") };
    // The first row is what the model itself charges for two calls at once over one: a second request to the delay
    // server, and the later of two timers. A warm validate pays it as well; the floor beside it does not.
    const scenarios = [
      { name: "floor: 2 calls at once", hops: "1 (2 calls at once)", url: servers.floorUrl, unit: floorPost("/rpc-both"), floor: oneCall },
      { name: "validate, one warm voucher", hops: "1 (2 calls at once)", token: key, floor: oneCall },
      { name: "validate, key without its team", hops: "2 (in sequence)", token: oldKey, floor: { name: "2 calls in sequence", unit: floorPost("/rpc2") } },
    ];
    const setHop = (base: string, ms: number) => fetch(`${base}/__edge/hop?ms=${ms}&via=${encodeURIComponent(network.url)}`, { method: "POST" }).then((r) => r.text());
    const rows: EdgeRow[] = [];
    for (const hopMs of EDGE_HOPS_MS) {
      await Promise.all([setHop(servers.appUrl, hopMs), setHop(servers.floorUrl, hopMs)]);
      for (const s of scenarios) {
        const floor = await measureLatency(`floor: ${s.floor.name}`, servers.floorUrl, s.floor.unit, { connections: 1, seconds });
        const run = await measureLatency(s.name, s.url ?? servers.appUrl, s.unit ?? validate, { connections: 1, seconds, token: s.token });
        rows.push({ hopMs, hops: s.hops, run, floor });
        console.log(`edge model, hop ${hopMs} ms: ${s.name} p50 ${run.p50} ms (floor ${floor.p50}), ${run.failed} failed`);
      }
    }
    return rows;
  } finally {
    await servers.dispose();
    network.close();
  }
}

// Run alone: node test/bench/edge-model.ts (through .ci/with-node on an older Node).
if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await edgeModel(Number(process.env.BENCH_LATENCY_SECONDS ?? 5));
  for (const r of rows) console.log(`${r.hopMs} ms | ${r.run.name} | ${r.run.p50} | floor ${r.floor.p50} | ${(r.run.p50 / r.floor.p50).toFixed(2)}`);
}
