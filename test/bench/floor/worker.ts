// The platform's floor, measured in the same run as the API: a bare Hono route, one Durable Object RPC, one
// Durable Object SQLite write, and that write spread over many objects (`/write/<name>`, one object per name).
// Every API scenario is reported as a ratio to the matching floor.
import { DurableObject } from "cloudflare:workers";
import { Hono } from "hono";

type Env = { FLOOR: DurableObjectNamespace<FloorObject> };

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
}

const app = new Hono<{ Bindings: Env }>();
const floor = (env: Env, name = "floor") => env.FLOOR.get(env.FLOOR.idFromName(name));

app.post("/bare", async (c) => c.json({ ok: true, echo: await c.req.json() }));
app.post("/rpc", async (c) => c.json({ ok: await floor(c.env).ping(), echo: await c.req.json() }));
app.post("/write", async (c) => c.json({ ok: await floor(c.env).write(), echo: await c.req.json() }));
app.post("/write/:name", async (c) => c.json({ ok: await floor(c.env, c.req.param("name")).write(), echo: await c.req.json() }));

export default app;
