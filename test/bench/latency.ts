// Latency runs: `connections` clients on keep-alive connections of their own, each sending its next unit only when
// the last one answered (closed loop), every unit timed with performance.now(), p50 and p99 taken from all samples.
// autocannon reports whole milliseconds, too coarse for a sub-millisecond validate; this client's own cost is the
// same in a scenario and beside it in its floor.
import http from "node:http";

export type Answer = { status: number; body: string };
export type Send = (method: string, path: string, body?: unknown) => Promise<Answer>;
/** One timed unit of work (one request, or a reserve → redeem pair); false when it failed. */
export type Unit = (send: Send) => Promise<boolean>;
export type Latency = { name: string; connections: number; units: number; rps: number; p50: number; p99: number; failed: number };

/** Units started in the first part of a run are not timed: connections open, objects wake. */
const untimedMs = (seconds: number) => Math.min(1000, seconds * 200);

function sender(base: string, token: string | undefined, agent: http.Agent): Send {
  const url = new URL(base);
  return (method, path, body) =>
    new Promise<Answer>((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          method,
          path,
          agent,
          headers: { ...(payload === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(payload);
    });
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
export const ms = (value: number) => Math.round(value * 100) / 100;

export async function measureLatency(name: string, base: string, unit: Unit, options: { connections: number; seconds: number; token?: string }): Promise<Latency> {
  const samples: number[] = [];
  let failed = 0;
  const start = performance.now();
  const timedFrom = start + untimedMs(options.seconds);
  const deadline = start + options.seconds * 1000;
  const agents: http.Agent[] = [];
  await Promise.all(
    Array.from({ length: options.connections }, async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      agents.push(agent);
      const send = sender(base, options.token, agent);
      while (performance.now() < deadline) {
        const started = performance.now();
        const ok = await unit(send).catch(() => false);
        if (started >= timedFrom) samples.push(performance.now() - started);
        if (!ok) failed += 1;
      }
    }),
  );
  for (const agent of agents) agent.destroy();
  const sorted = samples.sort((a, b) => a - b);
  return { name, connections: options.connections, units: sorted.length, rps: Math.round((sorted.length * 1000) / (deadline - timedFrom)), p50: ms(percentile(sorted, 50)), p99: ms(percentile(sorted, 99)), failed };
}

/** A unit of one POST that succeeds on a 2xx. */
export const post = (path: () => string, body: () => unknown): Unit => async (send) => {
  const res = await send("POST", path(), body());
  return res.status >= 200 && res.status < 300;
};
