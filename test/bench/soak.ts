// The mixed soak (issue 16): validate, redeem, rollback, reserve (then redeem the reservation, release it, or let
// it expire), list and report at once, from 16 clients, for
// BENCH_SOAK_SECONDS (default 180), over vouchers that run out (redemption limits, one per customer) and a campaign
// whose budget runs out, so refusals happen under concurrency too. Every acknowledged answer is kept, then, once the ledger has
// landed, the invariants are checked:
//   - every voucher's count equals its ledger: the object's redemptions_count = the acknowledged standing
//     redemptions = D1's standing rows = D1's listing copy;
//   - every budget equals the sum of its discounts: the campaign object's discount_total (and budget_remaining)
//     = the acknowledged standing discounts of its vouchers = D1's;
//   - the report has exactly the acknowledged redemptions: its redemption rows are the acknowledged redemptions,
//     its rollback rows the acknowledged rollbacks, no more, no fewer.
// Reservations left to expire hold count and budget until they do: the check waits for the last one's expiry.
// A request that fails without an answer (network, timeout) leaves its outcome unknown: counted, and reported.
import type { Call } from "./api.ts";
import { type Answer, ms, type Send } from "./latency.ts";
import http from "node:http";
import type { startServers } from "./server.ts";

type Servers = Awaited<ReturnType<typeof startServers>>;
type D1 = Awaited<ReturnType<Servers["appD1"]>>;

export type SoakOp = { name: string; count: number; p50: number; p99: number; answers: Record<string, number> };
export type Invariant = { name: string; ok: boolean; detail: string };
export type Soak = { seconds: number; connections: number; ops: SoakOp[]; unexpected: number; unknown: number; reservationsLeft: number; invariants: Invariant[] };

const CONNECTIONS = 16;
const VOUCHERS = 20;
const CAMPAIGN_VOUCHERS = 20;
const CUSTOMERS = 200;
const DISCOUNT = 100;
/** Half the vouchers stop at this many redemptions: reached within the first minute of a default soak. */
const REDEMPTION_LIMIT = 50;
/** 1,000 redemptions' worth: the campaign runs out early, then rollbacks and expiries give budget back to race for. */
const BUDGET_CAP = 100_000;

/** Answers each operation may give without anything being wrong (limits and budgets do run out). */
const EXPECTED: Record<string, number[]> = {
  validate: [200],
  redeem: [201, 409, 422],
  rollback: [200],
  reserve: [201, 409, 422],
  "redeem a reservation": [201],
  release: [204],
  list: [200],
  report: [200],
};

/** Reservations left alone expire after this (the shortest allowed); a client takes only younger ones. */
const RESERVATION_TTL_S = 30;
const TAKE_WITHIN_MS = 20_000;

type Held = { id: string; code: string; at: number };
type Redemption = { id: string; code: string; campaign: boolean; discount: number; rolledBack: boolean };

const pick = <T>(items: T[]): T => items[Math.floor(Math.random() * items.length)]!;
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;

function keepAliveSend(base: string, token: string): { send: Send; close: () => void } {
  const url = new URL(base);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const send: Send = (method, path, body) =>
    new Promise<Answer>((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = http.request(
        { host: url.hostname, port: url.port, method, path, agent, timeout: 30_000, headers: { authorization: `Bearer ${token}`, ...(payload === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
          res.on("error", reject);
        },
      );
      req.on("timeout", () => req.destroy(new Error("timeout")));
      req.on("error", reject);
      req.end(payload);
    });
  return { send, close: () => agent.destroy() };
}

function csvRows(text: string): Record<string, string>[] {
  // The report quotes fields with commas or quotes; redemption ids, events and codes never need it.
  const lines = text.trim().split("\n");
  const header = lines[0]!.split(",");
  return lines.slice(1).map((line) => {
    const cells = line.split(",");
    return Object.fromEntries(header.map((h, i) => [h, cells[i] ?? ""]));
  });
}

export async function soak(servers: Servers, call: Call, team: { teamId: string; key: (name: string) => Promise<string> }, seconds: number, settled: () => Promise<number>): Promise<Soak> {
  const key = await team.key("soak");
  const codes = await Promise.all(
    Array.from({ length: VOUCHERS }, (_, i) =>
      call("POST", "/v1/vouchers", key, { discount: { type: "amount", amount_off: DISCOUNT }, currency: "EUR", redemption_limit: i % 2 === 0 ? REDEMPTION_LIMIT : null, per_customer_limit: i % 4 === 1 ? 1 : null }).then((v) => v.code as string),
    ),
  );
  const campaign = await call("POST", "/v1/campaigns", key, { name: "Soak", discount: { type: "amount", amount_off: DISCOUNT }, currency: "EUR", budget_cap: { amount: BUDGET_CAP } });
  const campaignCodes = await Promise.all(Array.from({ length: CAMPAIGN_VOUCHERS }, () => call("POST", "/v1/vouchers", key, { campaign_id: campaign.id }).then((v) => v.code as string)));
  const all = [...codes, ...campaignCodes];
  const inCampaign = new Set(campaignCodes);

  const acknowledged = new Map<string, Redemption>();
  const standing: Redemption[] = [];
  const samples = new Map<string, number[]>();
  const answers = new Map<string, Record<string, number>>();
  let unexpected = 0;
  let unknown = 0;
  let orderSeq = 0;
  const held: Held[] = [];
  let lastExpiry = 0;
  /** A reservation young enough to redeem or release; older ones are left to expire. */
  const takeHeld = (): Held | null => {
    while (held.length > 0) {
      const h = held.splice(Math.floor(Math.random() * held.length), 1)[0]!;
      if (Date.now() - h.at < TAKE_WITHIN_MS) return h;
    }
    return null;
  };
  const acknowledge = (res: Answer, code: string) => {
    const body = JSON.parse(res.body) as { id: string; discount_amount: number };
    const r: Redemption = { id: body.id, code, campaign: inCampaign.has(code), discount: body.discount_amount, rolledBack: false };
    acknowledged.set(r.id, r);
    standing.push(r);
  };

  const ops: [string, number, (send: Send) => Promise<Answer | null>][] = [
    ["validate", 40, (send) => send("POST", `/v1/vouchers/${pick(all)}/validate`, { customer_id: `cus-${Math.floor(Math.random() * CUSTOMERS)}`, order: { amount: 5_000, currency: "EUR" } })],
    [
      "redeem",
      30,
      async (send) => {
        const code = pick(all);
        const res = await send("POST", `/v1/vouchers/${code}/redeem`, { customer_id: `cus-${Math.floor(Math.random() * CUSTOMERS)}`, order: { id: `soak-${++orderSeq}`, amount: 5_000, currency: "EUR" } });
        if (res.status === 201) acknowledge(res, code);
        return res;
      },
    ],
    [
      "rollback",
      10,
      async (send) => {
        if (standing.length === 0) return null;
        // Taken out first: no two clients roll the same redemption back.
        const r = standing.splice(Math.floor(Math.random() * standing.length), 1)[0]!;
        const res = await send("POST", `/v1/vouchers/${r.code}/rollback`, { redemption_id: r.id, reason: "soak" });
        if (res.status === 200) r.rolledBack = true;
        else standing.push(r);
        return res;
      },
    ],
    [
      "reserve",
      10,
      async (send) => {
        const code = pick(all);
        const res = await send("POST", `/v1/vouchers/${code}/reserve`, {
          customer_id: `cus-${Math.floor(Math.random() * CUSTOMERS)}`,
          order: { id: `soak-${++orderSeq}`, amount: 5_000, currency: "EUR" },
          ttl_seconds: RESERVATION_TTL_S,
        });
        if (res.status === 201) {
          held.push({ id: (JSON.parse(res.body) as { id: string }).id, code, at: Date.now() });
          lastExpiry = Date.now() + RESERVATION_TTL_S * 1000;
        }
        return res;
      },
    ],
    [
      "redeem a reservation",
      6,
      async (send) => {
        const h = takeHeld();
        if (!h) return null;
        const res = await send("POST", `/v1/vouchers/${h.code}/redeem`, { reservation_id: h.id });
        if (res.status === 201) acknowledge(res, h.code);
        return res;
      },
    ],
    [
      "release",
      3,
      async (send) => {
        const h = takeHeld();
        return h ? send("DELETE", `/v1/vouchers/${h.code}/reservations/${h.id}`) : null;
      },
    ],
    ["list", 15, (send) => send("GET", `/v1/vouchers?limit=20`)],
    ["report", 5, (send) => send("GET", "/v1/reports/redemptions")],
  ];
  const totalWeight = ops.reduce((sum, [, w]) => sum + w, 0);
  const choose = () => {
    let n = Math.random() * totalWeight;
    for (const op of ops) if ((n -= op[1]) < 0) return op;
    return ops[0]!;
  };

  const deadline = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      const { send, close } = keepAliveSend(servers.appUrl, key);
      while (performance.now() < deadline) {
        const [name, , run] = choose();
        const started = performance.now();
        let res: Answer | null;
        try {
          res = await run(send);
        } catch {
          // No answer: whether a redeem or rollback happened is unknown.
          unknown += 1;
          continue;
        }
        if (res === null) continue;
        const took = performance.now() - started;
        (samples.get(name) ?? samples.set(name, []).get(name)!).push(took);
        const counted = answers.get(name) ?? answers.set(name, {}).get(name)!;
        counted[res.status] = (counted[res.status] ?? 0) + 1;
        if (!EXPECTED[name]!.includes(res.status)) unexpected += 1;
      }
      close();
    }),
  );

  // What was left to expire gives its count and budget back by itself, at its expiry.
  const reservationsLeft = held.length;
  await new Promise((r) => setTimeout(r, Math.max(0, lastExpiry + 2_000 - Date.now())));
  await settled();
  const invariants = await checkInvariants(await servers.appD1(), call, key, team.teamId, all, campaign.id, [...acknowledged.values()]);
  return {
    seconds,
    connections: CONNECTIONS,
    ops: ops.map(([name]) => {
      const sorted = (samples.get(name) ?? []).sort((a, b) => a - b);
      return { name, count: sorted.length, p50: ms(percentile(sorted, 50)), p99: ms(percentile(sorted, 99)), answers: answers.get(name) ?? {} };
    }),
    unexpected,
    unknown,
    reservationsLeft,
    invariants,
  };
}

/** Checks until every invariant holds or 30 s pass (the ledger lands within seconds), then says what it found. */
async function checkInvariants(db: D1, call: Call, key: string, teamId: string, codes: string[], campaignId: string, acknowledged: Redemption[]): Promise<Invariant[]> {
  let last: Invariant[] = [];
  for (let attempt = 0; attempt < 30; attempt++) {
    last = await invariantsNow(db, call, key, teamId, codes, campaignId, acknowledged);
    if (last.every((i) => i.ok)) return last;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return last;
}

async function invariantsNow(db: D1, call: Call, key: string, teamId: string, codes: string[], campaignId: string, acknowledged: Redemption[]): Promise<Invariant[]> {
  const standingOf = new Map<string, number>();
  for (const r of acknowledged) if (!r.rolledBack) standingOf.set(r.code, (standingOf.get(r.code) ?? 0) + 1);
  const rows = await db.prepare("SELECT code, count(*) AS n FROM redemptions WHERE team_id = ? AND status = 'redeemed' GROUP BY code").bind(teamId).all<{ code: string; n: number }>();
  const d1Rows = new Map(rows.results.map((r) => [r.code, r.n]));
  const listing = await db.prepare("SELECT code, redemptions_count AS n FROM vouchers WHERE team_id = ?").bind(teamId).all<{ code: string; n: number }>();
  const d1Listing = new Map(listing.results.map((r) => [r.code, r.n]));
  const wrong: string[] = [];
  for (const code of codes) {
    const object = (await call("GET", `/v1/vouchers/${code}`, key)).redemptions_count as number;
    const counts = [object, standingOf.get(code) ?? 0, d1Rows.get(code) ?? 0, d1Listing.get(code) ?? 0];
    if (new Set(counts).size > 1) wrong.push(`${code}: object ${counts[0]}, acknowledged ${counts[1]}, D1 rows ${counts[2]}, D1 listing ${counts[3]}`);
  }
  const totalStanding = [...standingOf.values()].reduce((a, b) => a + b, 0);

  const stats = (await call("GET", `/v1/campaigns/${campaignId}`, key)).stats as { discount_total: number; budget_remaining: number | null; redemptions_count: number };
  const acknowledgedSpent = acknowledged.filter((r) => r.campaign && !r.rolledBack).reduce((sum, r) => sum + r.discount, 0);
  const d1Spent = (await db.prepare("SELECT coalesce(sum(discount_amount), 0) AS s FROM redemptions WHERE team_id = ? AND campaign_id = ? AND status = 'redeemed'").bind(teamId, campaignId).first<{ s: number }>())?.s ?? 0;
  const budgetOk = stats.discount_total === acknowledgedSpent && d1Spent === acknowledgedSpent && stats.budget_remaining === BUDGET_CAP - acknowledgedSpent;

  const report = csvRows(await call<string>("GET", "/v1/reports/redemptions", key));
  const reported = new Set(report.filter((r) => r.event === "redemption").map((r) => r.redemption_id ?? ""));
  const reportedRollbacks = new Set(report.filter((r) => r.event === "rollback").map((r) => r.redemption_id ?? ""));
  const ackIds = new Set(acknowledged.map((r) => r.id));
  const ackRollbacks = new Set(acknowledged.filter((r) => r.rolledBack).map((r) => r.id));
  const sameSet = (a: Set<string>, b: Set<string>) => a.size === b.size && [...a].every((x) => b.has(x));
  const reportOk = sameSet(reported, ackIds) && sameSet(reportedRollbacks, ackRollbacks) && report.length === ackIds.size + ackRollbacks.size;

  return [
    {
      name: "every voucher's count equals its ledger",
      ok: wrong.length === 0,
      detail: wrong.length === 0 ? `${codes.length} vouchers, ${totalStanding} standing redemptions: object = acknowledged = D1 rows = D1 listing for each` : wrong.slice(0, 5).join("; "),
    },
    {
      name: "every budget equals the sum of its discounts",
      ok: budgetOk,
      detail: `campaign object ${stats.discount_total} (remaining ${stats.budget_remaining} of ${BUDGET_CAP}), acknowledged ${acknowledgedSpent}, D1 ${d1Spent}`,
    },
    {
      name: "the report has exactly the acknowledged redemptions",
      ok: reportOk,
      detail: `report: ${reported.size} redemptions, ${reportedRollbacks.size} rollbacks (${report.length} rows); acknowledged: ${ackIds.size} redemptions, ${ackRollbacks.size} rollbacks`,
    },
  ];
}
