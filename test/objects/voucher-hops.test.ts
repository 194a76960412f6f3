// Speed budget of the checkout path, counted rather than timed: a warm validate makes no D1 query and exactly
// two Durable Object calls (the credential's object and the voucher's preview), asked at the same time — their
// overlap is proven in ./validate-overlap.test.ts; a redeem makes the same two, one after the other.
import { createExecutionContext, env, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { buildApp } from "../../src/app";
import type { Env } from "../../src/env";
import { type Counts, countingEnv } from "../helpers/hops";
import type { VoucherObject } from "../../src/objects/voucher";
import { call, newTeam } from "../helpers/api";

describe("checkout hop budget", () => {
  it("a warm validate makes no D1 query and two Durable Object calls: the key's object and the voucher's preview", async () => {
    const { owner, admin } = await newTeam();
    const created = await call("POST", "/v1/vouchers", { token: admin.key, body: { code: "WARM-1", discount: { type: "percent", percent_off: 15 } } });
    expect(created.status).toBe(201);
    const app = buildApp();
    // Counts what the answer waited for; what follows it (handing the validation count to the voucher) is not.
    const validate = async (counts: Counts) => {
      const ctx = createExecutionContext();
      const seen: Counts = { d1: 0, objects: [], queue: 0 };
      const res = await app.request(
        "/v1/vouchers/warm-1/validate",
        { method: "POST", headers: { Authorization: `Bearer ${admin.key}`, "Content-Type": "application/json" }, body: JSON.stringify({ customer_id: "c-1", order: { amount: 10_000 } }) },
        countingEnv(env, seen),
        ctx,
      );
      Object.assign(counts, structuredClone(seen));
      await waitOnExecutionContext(ctx);
      return res;
    };
    // Warm both objects (and let the key's last_used_at write happen now rather than in the measured call).
    expect((await validate({ d1: 0, objects: [], queue: 0 })).status).toBe(200);

    const stub = env.VOUCHERS.get(env.VOUCHERS.idFromName(`${owner.teamId}:WARM-1`));
    let objectD1 = 0;
    await runInDurableObject(stub, (instance: VoucherObject) => {
      const real = (instance as unknown as { env: Env }).env;
      (instance as unknown as { env: Env }).env = { ...real, DB: new Proxy(real.DB, { get: (t, p) => ((objectD1 += 1), Reflect.get(t, p)) }) };
    });

    const counts: Counts = { d1: 0, objects: [], queue: 0 };
    const res = await validate(counts);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { discount_amount: number }).discount_amount).toBe(1500);
    expect(counts.d1).toBe(0);
    expect(counts.objects).toEqual(["credential.authenticate", "voucher.preview"]);
    expect(counts.queue).toBe(0);
    expect(objectD1).toBe(0);
  });

  it("a redeem is the same two round trips; the D1 write happens later, off the checkout path", async () => {
    const { admin } = await newTeam();
    await call("POST", "/v1/vouchers", { token: admin.key, body: { code: "WARM-2", discount: { type: "amount", amount_off: 300 }, currency: "EUR" } });
    const app = buildApp();
    const warm = createExecutionContext();
    await app.request("/v1/vouchers/WARM-2", { headers: { Authorization: `Bearer ${admin.key}` } }, env, warm);
    await waitOnExecutionContext(warm);
    // Audit entries leave in batches opened by the first request of a 20 ms window: let earlier ones go first.
    await new Promise((r) => setTimeout(r, 50));
    const counts: Counts = { d1: 0, objects: [], queue: 0 };
    const ctx = createExecutionContext();
    const res = await app.request(
      "/v1/vouchers/WARM-2/redeem",
      { method: "POST", headers: { Authorization: `Bearer ${admin.key}`, "Content-Type": "application/json" }, body: JSON.stringify({ order: { id: "o-1", amount: 1000, currency: "EUR" } }) },
      countingEnv(env, counts),
      ctx,
    );
    expect(res.status).toBe(201);
    expect(counts.d1).toBe(0);
    expect(counts.objects).toEqual(["credential.authenticate", "voucher.redeem"]);
    await waitOnExecutionContext(ctx);
    // The audit entry leaves through the queue after the response.
    expect(counts.queue).toBe(1);
  });
});
