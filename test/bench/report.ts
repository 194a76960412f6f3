// Writes the measured part of BENCHMARKS.md between its markers, leaving the written analysis around it intact.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import type { D1Load } from "./d1-writes.ts";
import type { LagResult } from "./lag.ts";
import type { Run } from "./load.ts";
import type { LatencyRow } from "./checkout-latency.ts";
import type { EdgeRow } from "./edge-model.ts";
import type { Soak } from "./soak.ts";

export type Report = {
  runs: { run: Run; floor: Run | null; d1?: D1Load }[];
  lag: { run: Run; result: LagResult; d1: D1Load }[];
  bulk: { count: number; status: string; seconds: number }[];
  exports: { count: number; rows: number; bytes: number; seconds: number; rssBeforeMiB: number; rssPeakMiB: number }[];
  /** GET /v1/reports/redemptions over 50,000 redemptions (5,000 of them rolled back: 55,000 rows). */
  report: { count: number; rows: number; bytes: number; seconds: number; rssBeforeMiB: number; rssPeakMiB: number };
  bundle: { bytes: number; gzipBytes: number };
  seconds: number;
  /** Checkout latency at 1, 16 and 64 connections, each beside its floor. */
  latency: { rows: LatencyRow[]; seconds: number };
  /** The same validates at one connection with a network hop in front of every object call (edge-model.ts). */
  edge: EdgeRow[];
  soak: Soak;
};

/** Warm validate at one connection: p50 within this factor of the one-call floor's (issue 16). */
const LATENCY_GOAL = { name: "validate, one warm voucher", connections: 1, ratio: 1.3 };

function latencyLines({ rows, seconds }: Report["latency"]): string[] {
  return [
    `Checkout latency: closed-loop clients on keep-alive connections (test/bench/latency.ts, every request timed; the first ${Math.min(1, seconds / 5)} s of each ${seconds} s run untimed), each scenario right after its floor.`,
    "",
    "| checkout latency | sequential hops | connections | p50 ms | p99 ms | req/s | failed | floor | floor p50 | floor p99 | p50 ÷ floor | goal |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | --- |",
    ...rows.map(({ run, floor, hops }) => {
      const ratio = floor.p50 > 0 ? run.p50 / floor.p50 : null;
      const goal = run.name === LATENCY_GOAL.name && run.connections === LATENCY_GOAL.connections && ratio !== null ? `≤ ${LATENCY_GOAL.ratio} ${ratio <= LATENCY_GOAL.ratio ? "met" : "missed"}` : "";
      return `| ${run.name} | ${hops} | ${run.connections} | ${run.p50} | ${run.p99} | ${run.rps} | ${run.failed} | ${floor.name.replace("floor: ", "")} | ${floor.p50} | ${floor.p99} | ${ratio === null ? "—" : ratio.toFixed(2)} | ${goal} |`;
    }),
  ];
}

function edgeLines(rows: EdgeRow[]): string[] {
  const warm = (hopMs: number) => rows.find((r) => r.hopMs === hopMs && r.run.name === "validate, one warm voucher");
  return [
    "Edge model: the same validates at one connection with a hop (a wait standing for a network round trip) in front of every Durable Object call, in the API and in its floor alike (test/bench/edge-model.ts).",
    "",
    "| edge model | hop ms | sequential hops | p50 ms | p99 ms | floor | floor p50 | p50 ÷ floor | p50 − floor ms | p50 − warm validate's ms |",
    "| --- | ---: | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |",
    ...rows.map(({ hopMs, hops, run, floor }) => {
      const base = warm(hopMs);
      return `| ${run.name} | ${hopMs} | ${hops} | ${run.p50} | ${run.p99} | ${floor.name.replace("floor: ", "")} | ${floor.p50} | ${floor.p50 > 0 ? (run.p50 / floor.p50).toFixed(2) : "—"} | ${(run.p50 - floor.p50).toFixed(2)} | ${base ? (run.p50 - base.run.p50).toFixed(2) : "—"} |`;
    }),
  ];
}

function soakLines(s: Soak): string[] {
  return [
    `Mixed soak: ${s.seconds} s, ${s.connections} connections, one team; ${s.unexpected} unexpected answers, ${s.unknown} requests without an answer; ${s.reservationsLeft} reservations left to expire (checked after their expiry).`,
    "",
    "| soak operation | requests | p50 ms | p99 ms | answers |",
    "| --- | ---: | ---: | ---: | --- |",
    ...s.ops.map((o) => `| ${o.name} | ${o.count} | ${o.p50} | ${o.p99} | ${Object.entries(o.answers).map(([status, n]) => `${status}: ${n}`).join(", ")} |`),
    "",
    ...s.invariants.map((i) => `- ${i.ok ? "holds" : "**BROKEN**"}: ${i.name} (${i.detail})`),
  ];
}

const FILE = new URL("../../BENCHMARKS.md", import.meta.url).pathname;
const START = "<!-- bench:start -->";
const END = "<!-- bench:end -->";
const GOALS: Record<string, number> = {
  "validate, one warm voucher": 0.5,
  "redeem storm, one hot voucher": 0.4,
  "redeem, 200 distinct vouchers": 0.5,
  "redeem, 2,000 distinct vouchers": 0.5,
};

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
/** D1 write transactions per second: the ledger's (rows per transaction, local D1's ms per delivery) + the audit log's. */
const d1Cell = (d: D1Load | undefined) => {
  if (!d) return "—";
  const detail = d.rowsPerLedgerTransaction === null ? "" : ` (${Math.round(d.rowsPerLedgerTransaction)} rows, ${Math.round(d.msPerLedgerDelivery ?? 0)} ms)`;
  return `${d.ledgerPerSecond.toFixed(1)}${detail} + ${d.auditPerSecond.toFixed(1)}`;
};

export function writeReport(r: Report) {
  const machine = `${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${process.platform}`;
  const lines = [
    START,
    `Measured ${new Date().toISOString().replace(/\.\d+Z$/, "Z")} on ${machine}. Each run: ${r.seconds} s of autocannon against local workerd (Miniflare, no dev proxy), load generator on the same machine.`,
    "",
    "| scenario | connections | req/s | p50 ms | p99 ms | non-2xx | floor | ratio to floor | goal | D1 write tx/s: ledger (rows/tx, ms) + audit |",
    "| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- | --- |",
    ...r.runs.map(({ run, floor, d1 }) => {
      const ratio = floor ? run.rps / floor.rps : null;
      const goal = GOALS[run.name];
      const verdict = goal === undefined || ratio === null ? "" : `≥ ${goal} ${ratio >= goal ? "met" : "missed"}`;
      return `| ${run.name} | ${run.connections} | ${run.rps} | ${run.p50} | ${run.p99} | ${run.failed} | ${floor ? floor.name.replace("floor: ", "") : "—"} | ${ratio === null ? "—" : ratio.toFixed(2)} | ${verdict} | ${d1Cell(d1)} |`;
    }),
    "",
    ...latencyLines(r.latency),
    "",
    ...edgeLines(r.edge),
    "",
    ...soakLines(r.soak),
    "",
    "| history lag under load (201 → row in `GET /v1/customers/{id}/redemptions`) | load req/s | probes | p50 | p99 | max | D1 write tx/s |",
    "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ...r.lag.map(({ run, result, d1 }) =>
      `| ${run.name}, ${run.connections} connections, polled every ${result.pollMs} ms | ${run.rps} | ${result.samples} | ${(result.p50 / 1000).toFixed(2)} s | ${(result.p99 / 1000).toFixed(2)} s | ${(result.max / 1000).toFixed(2)} s | ${d1Cell(d1)} |`),
    "",
    "| bulk job | status | 202 → completed |",
    "| ---: | --- | ---: |",
    ...r.bulk.map((b) => `| ${b.count.toLocaleString("en")} codes | ${b.status} | ${b.seconds.toFixed(1)} s${b.count === 50_000 ? (b.seconds < 20 ? " (goal < 20 s: met)" : " (goal < 20 s: missed)") : ""} |`),
    "",
    "| CSV export | rows | size | time | workerd RSS before → peak |",
    "| ---: | ---: | ---: | ---: | ---: |",
    ...r.exports.map((e) => `| ${e.count.toLocaleString("en")} vouchers | ${e.rows} | ${kib(e.bytes)} | ${e.seconds.toFixed(1)} s | ${e.rssBeforeMiB.toFixed(0)} → ${e.rssPeakMiB.toFixed(0)} MiB |`),
    `| redemption report, ${r.report.count.toLocaleString("en")} redemptions | ${r.report.rows} | ${kib(r.report.bytes)} | ${r.report.seconds.toFixed(1)} s | ${r.report.rssBeforeMiB.toFixed(0)} → ${r.report.rssPeakMiB.toFixed(0)} MiB |`,
    "",
    `Worker bundle: ${kib(r.bundle.bytes)}, ${kib(r.bundle.gzipBytes)} gzipped.`,
    END,
  ];
  const previous = existsSync(FILE) ? readFileSync(FILE, "utf8") : `# Benchmarks\n\n${START}\n${END}\n`;
  const [before, rest] = previous.includes(START) ? previous.split(START) : [`${previous}\n`, `${END}`];
  const after = rest!.includes(END) ? rest!.split(END)[1] : "";
  writeFileSync(FILE, `${before}${lines.join("\n")}${after}`);
  console.log(lines.join("\n"));
}
