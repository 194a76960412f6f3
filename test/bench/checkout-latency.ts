// Checkout latency (issue 16): p50 and p99 of the checkout calls at 1, 16 and 64 connections, each beside the floor
// that makes as many sequential Durable Object hops as the call should (test/bench/floor/worker.ts). A warm
// validate's two calls go at once, so its floor is one call; a key without its team validates the old way, two in
// sequence, shown beside it for the difference.
import type { Call } from "./api.ts";
import { type Latency, measureLatency, post, type Unit } from "./latency.ts";
import { legacyKey } from "./legacy-key.ts";
import { BENCH_KEY_CHECK_SECRET, type startServers } from "./server.ts";

type Servers = Awaited<ReturnType<typeof startServers>>;
export type LatencyRow = { run: Latency; floor: Latency; hops: string };

export const LATENCY_CONNECTIONS = [1, 16, 64];
/** Redeems spread over this many vouchers (a hot single voucher queues, which the throughput table shows). */
const SPREAD = 200;
const ORDER = { amount: 10_000, currency: "EUR" };

type Scenario = { name: string; hops: string; base?: string; token: string; unit: Unit; floor: { name: string; unit: Unit; warm?: () => Promise<unknown> }; warm?: () => Promise<unknown> };

async function inParallel(count: number, width: number, make: (i: number) => Promise<unknown>) {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < count) await make(next++);
  }));
}

export async function checkoutLatency(servers: Servers, call: Call, team: { teamId: string; key: (name: string) => Promise<string> }, seconds: number): Promise<LatencyRow[]> {
  let orderSeq = 0;
  const order = () => ({ ...ORDER, id: `lat-${++orderSeq}` });
  const vouchers = (key: string, body: Record<string, unknown>) =>
    Promise.all(Array.from({ length: SPREAD }, () => call("POST", "/v1/vouchers", key, body).then((v) => v.code as string)));
  /** Local workerd evicts an object after 10 s without a call: every voucher of a spread is woken before its run. */
  const wake = (key: string, codes: string[]) => () =>
    inParallel(codes.length, 16, (i) => fetch(`${servers.appUrl}/v1/vouchers/${codes[i]}`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.text()));
  const roundRobin = (codes: string[]) => {
    let i = 0;
    return () => codes[i++ % codes.length]!;
  };

  let floorSeq = 0;
  const floorName = () => String(floorSeq++ % SPREAD);

  const validateKey = await team.key("latency-validate");
  await call("POST", "/v1/vouchers", validateKey, { code: "LATENCY-WARM", discount: { type: "percent", percent_off: 10 } });
  const oldKey = await legacyKey(await servers.appD1(), BENCH_KEY_CHECK_SECRET, team.teamId);
  const validate = post(() => "/v1/vouchers/LATENCY-WARM/validate", () => ({ customer_id: "c-1", order: ORDER }));

  const redeemKey = await team.key("latency-redeem");
  const redeemCodes = await vouchers(redeemKey, { discount: { type: "amount", amount_off: 100 }, currency: "EUR" });
  const nextRedeem = roundRobin(redeemCodes);

  const reserveKey = await team.key("latency-reserve");
  const reserveCodes = await vouchers(reserveKey, { discount: { type: "amount", amount_off: 100 }, currency: "EUR" });
  const nextReserve = roundRobin(reserveCodes);
  /** A checkout that holds the voucher while the customer pays, then redeems the hold: two requests, timed together. */
  const reserveThenRedeem: Unit = async (send) => {
    const code = nextReserve();
    const held = await send("POST", `/v1/vouchers/${code}/reserve`, { order: order() });
    if (held.status !== 201) return false;
    const redeemed = await send("POST", `/v1/vouchers/${code}/redeem`, { reservation_id: (JSON.parse(held.body) as { id: string }).id });
    return redeemed.status === 201;
  };
  const floorTwice: Unit = async (send) => {
    const first = await send("POST", `/rpc-write/${floorName()}`, { order: ORDER });
    const second = await send("POST", `/rpc-write/${floorName()}`, { order: ORDER });
    return first.status === 200 && second.status === 200;
  };

  const campaignKey = await team.key("latency-campaign");
  const campaign = await call("POST", "/v1/campaigns", campaignKey, { name: "Latency", discount: { type: "amount", amount_off: 100 }, currency: "EUR" });
  const campaignCodes = await vouchers(campaignKey, { campaign_id: campaign.id });
  const nextCampaign = roundRobin(campaignCodes);

  /** The floor's spread objects are woken (and, the first time, created) before its run, like the vouchers. */
  const wakeFloor = () => inParallel(SPREAD, 16, (i) => fetch(`${servers.floorUrl}/write/${i}`, { method: "POST", body: "{}" }).then((r) => r.text()));
  const floorPost = (path: () => string): Unit => post(path, () => ({ order: ORDER }));
  const scenarios: Scenario[] = [
    // Calibration, floor against floor: whether this runtime overlaps two calls at all (local workerd runs the
    // worker and its objects in one isolate, so it can only overlap waiting, not work).
    { name: "floor: 2 calls at once", hops: "1 (2 calls at once)", base: servers.floorUrl, token: "", unit: floorPost(() => "/rpc-both"), floor: { name: "2 calls in sequence", unit: floorPost(() => "/rpc2") } },
    { name: "validate, one warm voucher", hops: "1 (2 calls at once)", token: validateKey, unit: validate, floor: { name: "1 call", unit: floorPost(() => "/rpc") } },
    { name: "validate, key without its team", hops: "2 (in sequence)", token: oldKey, unit: validate, floor: { name: "2 calls in sequence", unit: floorPost(() => "/rpc2") } },
    {
      name: `redeem, ${SPREAD} vouchers`,
      hops: "2",
      token: redeemKey,
      unit: post(() => `/v1/vouchers/${nextRedeem()}/redeem`, () => ({ order: order() })),
      floor: { name: "call, then a write", unit: floorPost(() => `/rpc-write/${floorName()}`), warm: wakeFloor },
      warm: wake(redeemKey, redeemCodes),
    },
    {
      name: `campaign redeem, ${SPREAD} vouchers`,
      hops: "3 (voucher → campaign)",
      token: campaignKey,
      unit: post(() => `/v1/vouchers/${nextCampaign()}/redeem`, () => ({ order: order() })),
      floor: { name: "call, then a write after a write in a hub", unit: floorPost(() => `/rpc-relay/${floorName()}`), warm: wakeFloor },
      warm: wake(campaignKey, campaignCodes),
    },
    {
      name: `reserve → redeem, ${SPREAD} vouchers`,
      hops: "2, then 2",
      token: reserveKey,
      unit: reserveThenRedeem,
      floor: { name: "call, then a write; twice", unit: floorTwice, warm: wakeFloor },
      warm: wake(reserveKey, reserveCodes),
    },
  ];

  const rows: LatencyRow[] = [];
  for (const connections of LATENCY_CONNECTIONS) {
    for (const s of scenarios) {
      await s.floor.warm?.();
      const floor = await measureLatency(`floor: ${s.floor.name}`, servers.floorUrl, s.floor.unit, { connections, seconds });
      await s.warm?.();
      const run = await measureLatency(s.name, s.base ?? servers.appUrl, s.unit, { connections, seconds, token: s.token || undefined });
      rows.push({ run, floor, hops: s.hops });
      console.log(`latency ${s.name} @${connections}: p50 ${run.p50} ms (floor ${floor.p50}), p99 ${run.p99} ms (floor ${floor.p99}), ${run.failed} failed`);
    }
  }
  return rows;
}
