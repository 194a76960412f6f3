import { client, seedTeam } from "/work/main/test/bench/api.ts";
import { load } from "/work/main/test/bench/load.ts";
import { startServers } from "/work/main/test/bench/server.ts";
const servers = await startServers();
const call = client(servers.appUrl);
try {
  const team = await seedTeam(call);
  const k = await team.key("storm");
  await call("POST", "/v1/vouchers", k, { code: "HOT", discount: { type: "amount", amount_off: 100 }, currency: "EUR" });
  let n = 0;
  const r = await load("storm", servers.appUrl, () => ({ path: "/v1/vouchers/HOT/redeem", body: { order: { id: `o${++n}`, amount: 1000 } } }), { connections: 16, seconds: 3, token: k });
  console.log(JSON.stringify(r));
  const v = await load("validate", servers.appUrl, () => ({ path: "/v1/vouchers/HOT/validate", body: { order: { amount: 1000 } } }), { connections: 16, seconds: 3, token: k });
  console.log(JSON.stringify(v));
} finally { await servers.dispose(); }
