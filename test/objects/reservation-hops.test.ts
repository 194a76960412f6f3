// Speed budget of reservations (issue 14), counted rather than timed: reserving and redeeming by reservation make
// no more object calls than a plain redeem — the key's object and the voucher's, and from the voucher at most the
// one campaign call a campaign redeem makes (redeeming a reservation makes none: its budget is already held).
import { createExecutionContext, env, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { buildApp } from "../../src/app";
import type { Env } from "../../src/env";
import type { VoucherObject } from "../../src/objects/voucher";
import { call, newTeam } from "../helpers/api";
import { createCampaign } from "../helpers/campaigns";
import { type Counts, countingEnv } from "../helpers/hops";
import { order, uniqueCode, voucherObject } from "../helpers/vouchers";

/** Counts the campaign calls the voucher's object makes, by wrapping its CAMPAIGNS binding in place. */
async function countCampaignCalls(teamId: string, code: string, calls: string[]) {
  await runInDurableObject(voucherObject(teamId, code), (instance: VoucherObject) => {
    const holder = instance as unknown as { env: Env };
    const real = holder.env;
    const campaigns = new Proxy(real.CAMPAIGNS, {
      get(target, prop) {
        const value = Reflect.get(target, prop);
        if (prop !== "get") return typeof value === "function" ? value.bind(target) : value;
        return (id: DurableObjectId) => {
          const stub = target.get(id);
          return new Proxy(stub, {
            get(s, method) {
              const fn = Reflect.get(s, method);
              if (typeof fn !== "function") return fn;
              return (...args: unknown[]) => (calls.push(`campaign.${String(method)}`), Reflect.apply(fn, s, args));
            },
          });
        };
      },
    });
    holder.env = { ...real, CAMPAIGNS: campaigns };
  });
}

describe("reservation hop budget", () => {
  it("reserve and redeem by reservation make the calls of a plain redeem, no D1 query", async () => {
    const { owner, admin } = await newTeam();
    const campaign = await createCampaign(admin.key, { discount: { type: "amount", amount_off: 100 }, currency: "EUR" });
    const code = uniqueCode("HOP");
    expect((await call("POST", "/v1/vouchers", { token: admin.key, body: { code, campaign_id: campaign.id } })).status).toBe(201);
    const app = buildApp();
    const post = async (path: string, body: unknown, counts: Counts) => {
      const ctx = createExecutionContext();
      const res = await app.request(
        path,
        { method: "POST", headers: { Authorization: `Bearer ${admin.key}`, "Content-Type": "application/json" }, body: JSON.stringify(body) },
        countingEnv(env, counts),
        ctx,
      );
      await waitOnExecutionContext(ctx);
      return res;
    };
    // Warm the key's and the voucher's objects (and the campaign's) with a first redemption.
    const fresh = (): Counts => ({ d1: 0, objects: [], queue: 0 });
    expect((await post(`/v1/vouchers/${code}/redeem`, { order: order(1000) }, fresh())).status).toBe(201);
    const inside: string[] = [];
    await countCampaignCalls(owner.teamId, code, inside);

    const plain = fresh();
    expect((await post(`/v1/vouchers/${code}/redeem`, { order: order(1000) }, plain)).status).toBe(201);
    const plainInside = inside.splice(0);

    const reserving = fresh();
    const reserved = await post(`/v1/vouchers/${code}/reserve`, { order: order(1000) }, reserving);
    expect(reserved.status).toBe(201);
    const reserveInside = inside.splice(0);
    const { id } = (await reserved.json()) as { id: string };

    const byReservation = fresh();
    expect((await post(`/v1/vouchers/${code}/redeem`, { reservation_id: id }, byReservation)).status).toBe(201);
    const redeemInside = inside.splice(0);

    expect(plain.objects).toEqual(["credential.authenticate", "voucher.redeem"]);
    expect(plainInside).toEqual(["campaign.reserve"]);
    expect(reserving.objects).toEqual(["credential.authenticate", "voucher.reserve"]);
    expect(reserveInside).toEqual(["campaign.reserve"]);
    expect(byReservation.objects).toEqual(["credential.authenticate", "voucher.redeemReservation"]);
    expect(redeemInside).toEqual([]);
    for (const c of [plain, reserving, byReservation]) expect(c.d1).toBe(0);
  });
});
