// Where the time goes: samples the API worker's isolate with the V8 profiler (through workerd's inspector) while
// autocannon drives one scenario, then prints the functions with the most self time.
//   node test/bench/profile.ts validate|redeem   (through .ci/with-node on an older Node)
import { client, seedTeam } from "./api.ts";
import { load } from "./load.ts";
import { startServers } from "./server.ts";

const INSPECTOR_PORT = 9231;
const scenario = process.argv[2] === "redeem" ? "redeem" : "validate";

type ProfileNode = { id: number; callFrame: { functionName: string; url: string; lineNumber: number } };

async function inspector() {
  const targets = (await (await fetch(`http://127.0.0.1:${INSPECTOR_PORT}/json`)).json()) as { webSocketDebuggerUrl: string }[];
  const target = targets.find((t) => t.webSocketDebuggerUrl.includes("vauchflow"));
  if (!target) throw new Error("the API worker's inspector target was not found");
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve) => ws.addEventListener("open", resolve));
  let seq = 0;
  const waiting = new Map<number, (result: any) => void>();
  ws.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data));
    waiting.get(message.id)?.(message.result);
    waiting.delete(message.id);
  });
  const send = (method: string, params = {}) =>
    new Promise<any>((resolve) => {
      const id = ++seq;
      waiting.set(id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });
  return { send, close: () => ws.close() };
}

const servers = await startServers({ inspectorPort: INSPECTOR_PORT });
try {
  const call = client(servers.appUrl);
  const team = await seedTeam(call);
  const key = await team.key("profile");
  await call("POST", "/v1/vouchers", key, { code: "PROFILE", discount: { type: "amount", amount_off: 100 }, currency: "EUR" });
  const cdp = await inspector();
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
  await cdp.send("Profiler.start");
  let n = 0;
  const run = await load(scenario, servers.appUrl, () => ({ path: `/v1/vouchers/PROFILE/${scenario}`, body: { order: { id: `o-${++n}`, amount: 1000 } } }), { connections: 64, seconds: 4, token: key });
  const { profile } = (await cdp.send("Profiler.stop")) as { profile: { nodes: ProfileNode[]; samples: number[] } };
  cdp.close();
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  for (const sample of profile.samples) {
    const frame = nodes.get(sample)!.callFrame;
    const name = `${frame.functionName || "(anonymous)"} ${frame.url ? `${frame.url.split("/").pop()}:${frame.lineNumber}` : ""}`;
    self.set(name, (self.get(name) ?? 0) + 1);
  }
  console.log(`${scenario}: ${run.rps} req/s at 64 connections; ${profile.samples.length} samples; self time:`);
  for (const [name, count] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 20)) {
    console.log(`${((100 * count) / profile.samples.length).toFixed(1).padStart(6)} %  ${name}`);
  }
} finally {
  await servers.dispose();
}
