// A campaign's budget reserved for a redemption that never committed comes back: the campaign object's alarm
// confirms reservations whose redemption exists (in D1's history or on the voucher's object) and gives back the
// others, once they are old enough that a live redemption would have committed.
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import { type CampaignObject, RESERVATION_SETTLE_MS } from "../../src/objects/campaign";
import { CampaignReservations } from "../../src/objects/campaign-reservations";
import type { VoucherObject } from "../../src/objects/voucher";
import { call, createKey, expectError, newTeam } from "../helpers/api";
import { standInQueue } from "../helpers/ledger";
import { campaignStats, campaignVouchers, createCampaign } from "../helpers/campaigns";
import { flushVoucher, order, redeem, redeemOk, voucherObject } from "../helpers/vouchers";

type Internals = { env: Env; store: { insertRedemption: (...args: unknown[]) => void }; holds: Set<unknown> };
const internals = (instance: VoucherObject) => instance as unknown as Internals;

async function setup(campaign: Record<string, unknown>, count: number) {
  const { owner, admin } = await newTeam();
  const token = (await createKey(owner.accessToken, { name: "checkout", rate_limit_per_minute: 10_000 })).key;
  const created = await createCampaign(token, { discount: { type: "amount", amount_off: 1000 }, currency: "EUR", budget_cap: { amount: 5000 }, ...campaign });
  const codes = await campaignVouchers(token, created.id, count);
  const campaignId = created.id as string;
  const stub = env.CAMPAIGNS.get(env.CAMPAIGNS.idFromName(campaignId));
  return { token, teamId: owner.teamId, campaignId, codes, stub };
}

/** Ages every reservation past the settle delay, as if the campaign's alarm came due. */
const age = (stub: DurableObjectStub<CampaignObject>) =>
  runInDurableObject(stub, (_i, state) => {
    state.storage.sql.exec("UPDATE reservations SET at = at - ?", RESERVATION_SETTLE_MS + 1000);
  });

const unconfirmed = (stub: DurableObjectStub<CampaignObject>) =>
  runInDurableObject(stub, (_i, state) => state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM reservations WHERE confirmed = 0 AND held = 1").one().n);

describe("campaign reservation reconciliation", () => {
  it("a reservation whose commit threw is given back; committed ones, flushed to D1 or not, are kept", async () => {
    const { token, teamId, campaignId, codes, stub } = await setup({}, 3);
    const [failing, flushed, unflushed] = codes as [string, string, string];
    await runInDurableObject(voucherObject(teamId, failing), (instance: VoucherObject) => {
      internals(instance).store.insertRedemption = () => {
        throw new Error("injected commit failure");
      };
    });
    // Its ledger queue refuses every send, so its redemption stays in its object and never reaches D1's history.
    await standInQueue(voucherObject(teamId, unflushed), { messages: [], refused: 0, sends: 0 }, [], "refuse");

    expectError(await redeem(token, failing, { customer_id: "cus-1", order: order(5000) }), 500, "internal_error");
    await redeemOk(token, flushed, { customer_id: "cus-2", order: order(5000) });
    await redeemOk(token, unflushed, { customer_id: "cus-3", order: order(5000) });
    await flushVoucher(teamId, flushed);
    // The failed commit's budget is still reserved: nothing was given back on the way out.
    expect(await campaignStats(token, campaignId)).toMatchObject({ redemptions_count: 3, discount_total: 3000, budget_remaining: 2000 });

    // Too young: a live redemption could still be committing, so the alarm leaves them all and looks again later.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await campaignStats(token, campaignId)).toMatchObject({ discount_total: 3000 });
    expect(await unconfirmed(stub)).toBe(3);

    await age(stub);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await campaignStats(token, campaignId)).toMatchObject({ redemptions_count: 2, discount_total: 2000, budget_remaining: 3000 });
    expect(await unconfirmed(stub)).toBe(0);
    // Nothing is left to watch, so no alarm stays armed.
    expect(await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())).toBeNull();
    expect(await runDurableObjectAlarm(stub)).toBe(false);
  });

  it("a reservation whose answer never reached the voucher (its object reset mid-call) is given back, customer count too", async () => {
    const { token, teamId, campaignId, codes, stub } = await setup({ per_customer_limit: 1 }, 2);
    const [lost, later] = codes as [string, string];
    // The campaign commits the reservation, then the voucher's call dies before the answer arrives.
    await runInDurableObject(voucherObject(teamId, lost), (instance: VoucherObject) => {
      const real = internals(instance).env;
      const campaigns = new Proxy(real.CAMPAIGNS, {
        get(target, prop) {
          if (prop !== "get") return Reflect.get(target, prop).bind(target);
          return (id: DurableObjectId) => {
            const campaign = target.get(id);
            return new Proxy(campaign, {
              get(s, method) {
                if (method !== "reserve") return Reflect.get(s, method);
                return async (...args: Parameters<CampaignObject["reserve"]>) => {
                  await s.reserve(...args);
                  throw new Error("voucher object reset");
                };
              },
            });
          };
        },
      });
      internals(instance).env = { ...real, CAMPAIGNS: campaigns };
    });
    expectError(await redeem(token, lost, { customer_id: "cus-1", order: order(5000) }), 500, "internal_error");
    expect(await campaignStats(token, campaignId)).toMatchObject({ redemptions_count: 1, discount_total: 1000 });
    expectError(await redeem(token, later, { customer_id: "cus-1", order: order(5000) }), 409, "customer_limit_reached");

    await age(stub);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await campaignStats(token, campaignId)).toMatchObject({ redemptions_count: 0, discount_total: 0, budget_remaining: 5000 });
    await redeemOk(token, later, { customer_id: "cus-1", order: order(5000) });
  });

  it("a reservation whose redemption still waits on the campaign is kept until the voucher has decided", async () => {
    const { token, teamId, campaignId, codes, stub } = await setup({}, 1);
    const code = codes[0]!;
    const ref = { teamId, campaignId };
    // As if a redeem were between its reserve and its commit: the voucher holds the place for red_waiting.
    const hold = { redemptionId: "red_waiting", orderId: null, customerId: null, amount: 1000 };
    await runInDurableObject(voucherObject(teamId, code), (instance: VoucherObject) => {
      internals(instance).holds.add(hold);
    });
    expect(await stub.reserve(ref, "red_waiting", { customerId: null, amount: 1000 }, code)).toEqual({ ok: true });

    await age(stub);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await campaignStats(token, campaignId)).toMatchObject({ discount_total: 1000 });
    expect(await unconfirmed(stub)).toBe(1);
    // It looks again soon rather than forgetting it.
    expect(await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())).not.toBeNull();

    // The redemption was abandoned without committing: the next look gives the budget back.
    await runInDurableObject(voucherObject(teamId, code), (instance: VoucherObject) => {
      internals(instance).holds.delete(hold);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await campaignStats(token, campaignId)).toMatchObject({ redemptions_count: 0, discount_total: 0, budget_remaining: 5000 });
  });

  it("a campaign object from before reconciliation gains the new columns; its old reservations count as confirmed", async () => {
    const { stub } = await setup({}, 0);
    const row = await runInDurableObject(stub, (_i, state) => {
      const sql = state.storage.sql;
      sql.exec("DROP TABLE reservations");
      sql.exec("CREATE TABLE reservations (key TEXT PRIMARY KEY, customer_id TEXT, amount INTEGER NOT NULL, held INTEGER NOT NULL, at INTEGER NOT NULL)");
      sql.exec("INSERT INTO reservations VALUES ('red_old', NULL, 1000, 1, 1)");
      const reservations = new CampaignReservations(sql);
      new CampaignReservations(sql);
      return { old: reservations.find("red_old"), due: reservations.unconfirmed(Date.now(), 10) };
    });
    expect(row.old).toMatchObject({ key: "red_old", held: true, voucherCode: null });
    expect(row.due).toEqual([]);
  });
});

describe("reconciliation and voucher reservations (API.md §10)", () => {
  it("a held reservation's budget is kept past the settle delay; once its voucher forgot it, it is given back", async () => {
    const { token, teamId, campaignId, codes, stub } = await setup({}, 2);
    const [kept, lost] = codes as [string, string];
    const reserveOn = async (code: string) => {
      const res = await fetchReserve(token, code);
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body.id as string;
    };
    await reserveOn(kept);
    const lostId = await reserveOn(lost);
    expect(await campaignStats(token, campaignId)).toMatchObject({ discount_total: 2000, budget_remaining: 3000 });

    // Aged past the usual settle delay, but not past their expiry: still held on their vouchers, so kept.
    await age(stub);
    await runDurableObjectAlarm(stub);
    expect(await campaignStats(token, campaignId)).toMatchObject({ discount_total: 2000 });

    // A voucher object that lost one (reset before it committed): once past expiry, the campaign asks and gives back.
    await runInDurableObject(voucherObject(teamId, lost), (_i: VoucherObject, state) => {
      state.storage.sql.exec("DELETE FROM reservations WHERE id = ?", lostId);
    });
    await runInDurableObject(stub, (_i, state) => {
      state.storage.sql.exec("UPDATE reservations SET at = at - ?", 900_000 + RESERVATION_SETTLE_MS);
    });
    await runDurableObjectAlarm(stub);
    expect(await campaignStats(token, campaignId)).toMatchObject({ discount_total: 1000, budget_remaining: 4000 });
    expect(await unconfirmed(stub)).toBe(1);
  });
});

function fetchReserve(token: string, code: string) {
  return call("POST", `/v1/vouchers/${code}/reserve`, { token, body: { order: order(5000), ttl_seconds: 900 } });
}
