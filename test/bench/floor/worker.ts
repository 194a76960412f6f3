// The platform's floor, measured in the same run as the API: a bare Hono route, one Durable Object RPC, one
// Durable Object SQLite write, and that write spread over many objects (`/write/<name>`, one object per name).
// Every API scenario is reported as a ratio to the matching floor. The latency floors chain calls the way the
// API's checkout calls do: one call (a warm validate: its two calls go at once), two at once (what that overlap
// costs where a hop costs no network time, as locally), two in sequence (a validate
// without the overlap; a redeem: the key's object, then a write in the voucher's), and three (a campaign redeem:
// the voucher's object writes after asking its campaign's, which writes too).
import { DurableObject } from "cloudflare:workers";
import { Hono } from "hono";

type Env = { FLOOR: DurableObjectNamespace<FloorObject> };

const floor = (env: Env, name = "floor") => env.FLOOR.get(env.FLOOR.idFromName(name));

export class FloorObject extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS writes (id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL)");
  }

  async ping(): Promise<number> {
    return 1;
  }

  async write(): Promise<number> {
    this.ctx.storage.sql.exec("INSERT INTO writes (at) VALUES (?)", Date.now());
    return 1;
  }

  /** Writes in object `hub` (a campaign's), then here (a voucher's). */
  async relay(hub: string): Promise<number> {
    await floor(this.env, hub).write();
    return this.write();
  }
}

const app = new Hono<{ Bindings: Env }>();

app.post("/bare", async (c) => c.json({ ok: true, echo: await c.req.json() }));
app.post("/rpc", async (c) => c.json({ ok: await floor(c.env).ping(), echo: await c.req.json() }));
app.post("/write", async (c) => c.json({ ok: await floor(c.env).write(), echo: await c.req.json() }));
app.post("/write/:name", async (c) => c.json({ ok: await floor(c.env, c.req.param("name")).write(), echo: await c.req.json() }));
app.post("/rpc2", async (c) => {
  await floor(c.env).ping();
  return c.json({ ok: await floor(c.env, "second").ping(), echo: await c.req.json() });
});
app.post("/rpc-both", async (c) => {
  const [first] = await Promise.all([floor(c.env).ping(), floor(c.env, "second").ping()]);
  return c.json({ ok: first, echo: await c.req.json() });
});
app.post("/rpc-write/:name", async (c) => {
  await floor(c.env).ping();
  return c.json({ ok: await floor(c.env, c.req.param("name")).write(), echo: await c.req.json() });
});
app.post("/rpc-relay/:name", async (c) => {
  await floor(c.env).ping();
  return c.json({ ok: await floor(c.env, c.req.param("name")).relay("hub"), echo: await c.req.json() });
});

export default app;
