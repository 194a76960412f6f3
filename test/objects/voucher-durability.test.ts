// An acknowledged redemption is never lost: D1 is fed from the voucher object's own tables (rows marked unsynced),
// retried until it lands; and D1's copy never goes backwards, whatever order two flushes land in.
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { VoucherObject } from "../../src/objects/voucher";
import { call, newTeam, sleep } from "../helpers/api";

/** A D1 binding whose writes fail, as during an outage. */
function failingDb(real: D1Database): D1Database {
  return new Proxy(real, {
    get(target, prop, receiver) {
      if (prop === "batch") return async () => Promise.reject(new Error("D1_ERROR: injected outage"));
      const value = Reflect.get(target, prop, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

type Mutable = { env: typeof env };

describe("redemption durability", () => {
  it("keeps an acknowledged redemption through a D1 outage and writes it once D1 is back", async () => {
    const { owner, admin } = await newTeam();
    const created = await call("POST", "/v1/vouchers", { token: admin.key, body: { code: "OUTAGE-1", discount: { type: "percent", percent_off: 10 } } });
    expect(created.status).toBe(201);
    const stub = env.VOUCHERS.get(env.VOUCHERS.idFromName(`${owner.teamId}:OUTAGE-1`));
    await runInDurableObject(stub, (instance: VoucherObject) => {
      (instance as unknown as Mutable).env = { ...env, DB: failingDb(env.DB) };
    });

    const redeemed = await call("POST", "/v1/vouchers/OUTAGE-1/redeem", { token: admin.key, body: { customer_id: "cus-outage", order: { id: "o-1", amount: 5000 } } });
    expect(redeemed.status).toBe(201);
    // The flush fails and is re-armed rather than dropped.
    await runDurableObjectAlarm(stub);
    const during = await env.DB.prepare("SELECT count(*) AS n FROM redemptions WHERE id = ?").bind(redeemed.body.id).first<{ n: number }>();
    expect(during?.n).toBe(0);
    const unsynced = (state: DurableObjectState) => state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM redemptions WHERE synced = 0").one().n;
    const pending = await runInDurableObject(stub, (_i, state) => unsynced(state));
    expect(pending).toBe(1);
    expect(await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())).not.toBeNull();

    // The voucher keeps serving from its own state during the outage.
    const voucher = await call("GET", "/v1/vouchers/OUTAGE-1", { token: admin.key });
    expect(voucher.body.redemptions_count).toBe(1);

    await runInDurableObject(stub, (instance: VoucherObject) => {
      (instance as unknown as Mutable).env = env;
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const row = await env.DB.prepare("SELECT status, discount_amount, customer_id FROM redemptions WHERE id = ?")
      .bind(redeemed.body.id)
      .first<{ status: string; discount_amount: number; customer_id: string }>();
    expect(row).toEqual({ status: "redeemed", discount_amount: 500, customer_id: "cus-outage" });
    const history = await call("GET", "/v1/customers/cus-outage/redemptions", { token: admin.key });
    expect(history.body.data.map((r: { id: string }) => r.id)).toEqual([redeemed.body.id]);
    const mirrored = await env.DB.prepare("SELECT redemptions_count FROM vouchers WHERE team_id = ? AND code = 'OUTAGE-1'")
      .bind(owner.teamId)
      .first<{ redemptions_count: number }>();
    expect(mirrored?.redemptions_count).toBe(1);
    const left = await runInDurableObject(stub, (_i, state) => unsynced(state));
    expect(left).toBe(0);
  });

  it("writes a redemption delivered twice once (the upsert is idempotent)", async () => {
    const { owner, admin } = await newTeam();
    await call("POST", "/v1/vouchers", { token: admin.key, body: { code: "TWICE-1", discount: { type: "amount", amount_off: 100 }, currency: "EUR" } });
    const stub = env.VOUCHERS.get(env.VOUCHERS.idFromName(`${owner.teamId}:TWICE-1`));
    const redeemed = await call("POST", "/v1/vouchers/TWICE-1/redeem", { token: admin.key, body: { order: { id: "o-1", amount: 5000 } } });
    expect(redeemed.status).toBe(201);
    // Mark it unsynced again, twice, as if the mark after a successful write had been lost.
    await runInDurableObject(stub, async (instance: VoucherObject, state) => {
      state.storage.sql.exec("UPDATE redemptions SET synced = 0");
      await instance.alarm();
      state.storage.sql.exec("UPDATE redemptions SET synced = 0");
      await instance.alarm();
    });
    const count = await env.DB.prepare("SELECT count(*) AS n FROM redemptions WHERE team_id = ?").bind(owner.teamId).first<{ n: number }>();
    expect(count?.n).toBe(1);
  });

  it("two flushes whose D1 writes land in reverse order leave the newer state in D1", async () => {
    const { owner, admin } = await newTeam();
    await call("POST", "/v1/vouchers", { token: admin.key, body: { code: "ORDER-1", discount: { type: "amount", amount_off: 100 }, currency: "EUR" } });
    const stub = env.VOUCHERS.get(env.VOUCHERS.idFromName(`${owner.teamId}:ORDER-1`));
    const redeemed = await call("POST", "/v1/vouchers/ORDER-1/redeem", { token: admin.key, body: { order: { id: "o-1", amount: 5000 } } });
    expect(redeemed.status).toBe(201);

    // The first D1 batch (the alarm's flush, carrying the live redemption) is held back until the second has landed.
    // Everything that waits or wakes runs inside the object: promises cannot cross from the test into it.
    let batches = 0;
    await runInDurableObject(stub, (instance: VoucherObject) => {
      const real = (instance as unknown as Mutable).env;
      let landed!: () => void;
      const secondLanded = new Promise<void>((resolve) => (landed = resolve));
      const slowFirst = new Proxy(real.DB, {
        get(target, prop) {
          if (prop === "batch") {
            return async (statements: D1PreparedStatement[]) => {
              const n = ++batches;
              if (n === 1) await secondLanded;
              const result = await target.batch(statements);
              if (n === 2) landed();
              return result;
            };
          }
          const value = Reflect.get(target, prop);
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
      (instance as unknown as Mutable).env = { ...real, DB: slowFirst };
    });
    const alarmFlush = runDurableObjectAlarm(stub);
    for (let i = 0; i < 100 && batches === 0; i++) await sleep(10);
    expect(batches).toBe(1);
    // The rollback flushes at once: its write (the redemption rolled back, no live one) lands first.
    const undone = await call("POST", "/v1/vouchers/ORDER-1/rollback", { token: admin.key, body: { redemption_id: redeemed.body.id } });
    expect(undone.status).toBe(200);
    expect(await alarmFlush).toBe(true);
    expect(batches).toBe(2);

    const voucher = await env.DB.prepare("SELECT redemptions_count FROM vouchers WHERE team_id = ? AND code = 'ORDER-1'")
      .bind(owner.teamId)
      .first<{ redemptions_count: number }>();
    expect(voucher?.redemptions_count).toBe(0);
    const row = await env.DB.prepare("SELECT status FROM redemptions WHERE id = ?").bind(redeemed.body.id).first<{ status: string }>();
    expect(row?.status).toBe("rolled_back");
    // Nothing is left pending that would later rewrite D1.
    expect(await runInDurableObject(stub, (_i, state) => state.storage.sql.exec<{ d: number }>("SELECT mirror_dirty AS d FROM counters").one().d)).toBe(0);
  });
});
