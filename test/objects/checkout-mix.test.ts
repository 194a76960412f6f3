// Gift cards of one campaign under arbitrary concurrent mixes (seeded fast-check): reserve, redeem, redeem by
// reservation, release, rollback, expiry by alarm and pause/resume land at once on two vouchers sharing a budget
// and a campaign-wide per-customer limit, reusing a few order ids. After each batch, what every object keeps must
// agree: each voucher's count and balance with its standing redemptions, the campaign's spend and customer counts
// with everything standing or held, no order standing twice on a voucher, nothing over a limit.
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { VoucherObject } from "../../src/objects/voucher";
import { type Answer, call, createKey, newTeam } from "../helpers/api";
import { createCampaign } from "../helpers/campaigns";
import { uniqueCode, voucherObject } from "../helpers/vouchers";

const GIFT = 5000;
const BUDGET = 7000;
const PER_CUSTOMER = 2;
const SEED = 99;

type Op =
  | { kind: "reserve" | "redeem"; v: number; customer: number; ord: number; spend: number }
  | { kind: "redeem_reservation" | "release" | "expire"; pick: number }
  | { kind: "rollback"; pick: number }
  | { kind: "pause"; paused: boolean };

const spend = fc.constantFrom(500, 1000, 1500, 2500);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("reserve" as const), v: fc.nat(1), customer: fc.nat(2), ord: fc.nat(3), spend }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("redeem" as const), v: fc.nat(1), customer: fc.nat(2), ord: fc.nat(3), spend }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("redeem_reservation" as const), pick: fc.nat(40) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("release" as const), pick: fc.nat(40) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("expire" as const), pick: fc.nat(40) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("rollback" as const), pick: fc.nat(40) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("pause" as const), paused: fc.nat(3).map((n) => n === 0) }) },
);

type Kept = { count: number; balance: number | null; standing: { order: string | null; customer: string | null; amount: number }[]; held: { order: string | null; customer: string | null; amount: number }[] };

const kept = (teamId: string, code: string) =>
  runInDurableObject(voucherObject(teamId, code), (_i: VoucherObject, state): Kept => {
    const sql = state.storage.sql;
    const c = sql.exec<Record<string, number | null>>("SELECT * FROM counters").one();
    const standing = sql
      .exec<{ record: string }>("SELECT record FROM redemptions WHERE status = 'redeemed'")
      .toArray()
      .map((r) => JSON.parse(r.record))
      .map((r) => ({ order: r.order.id ?? null, customer: r.customerId, amount: r.discountAmount }));
    const held = sql
      .exec<{ record: string }>("SELECT record FROM reservations WHERE status = 'held'")
      .toArray()
      .map((r) => JSON.parse(r.record))
      .map((r) => ({ order: r.order.id ?? null, customer: r.customerId, amount: r.discountAmount }));
    return { count: Number(c.redemptions_count), balance: c.gift_card_balance === null ? null : Number(c.gift_card_balance), standing, held };
  });

describe("gift card campaign checkout under concurrent mixes", () => {
  it("counts, balances, budget, customer counts and order ids agree after every batch", async () => {
    const ns = `p${Date.now().toString(36)}`; // order ids unique to this run, reused within it
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(op, { minLength: 4, maxLength: 20 }), { minLength: 2, maxLength: 4 }), async (batches) => {
        const { owner, admin } = await newTeam();
        const token = (await createKey(owner.accessToken, { name: "checkout", rate_limit_per_minute: 10_000 })).key;
        const campaign = await createCampaign(admin.key, {
          type: "gift_card",
          discount: undefined,
          gift_card: { amount: GIFT },
          currency: "EUR",
          budget_cap: { amount: BUDGET },
          per_customer_limit: PER_CUSTOMER,
        });
        const codes: string[] = [];
        for (let i = 0; i < 2; i++) {
          const res = await call("POST", "/v1/vouchers", { token: admin.key, body: { campaign_id: campaign.id, code: uniqueCode("MIX") } });
          expect(res.status, JSON.stringify(res.body)).toBe(201);
          codes.push(res.body.code);
        }
        const reservations: { id: string; code: string }[] = [];
        const redemptions: { id: string; code: string }[] = [];
        const run = async (o: Op): Promise<void> => {
          let res: Answer | null = null;
          switch (o.kind) {
            case "reserve":
            case "redeem": {
              const code = codes[o.v]!;
              const body = { customer_id: `cus-${o.customer}`, amount: o.spend, order: { id: `${ns}-ord-${o.ord}`, amount: 10_000, currency: "EUR" } };
              res = await call("POST", `/v1/vouchers/${code}/${o.kind}`, { token, body });
              if (res.status === 201) (o.kind === "reserve" ? reservations : redemptions).push({ id: res.body.id, code });
              break;
            }
            case "redeem_reservation": {
              const r = reservations[o.pick % Math.max(1, reservations.length)];
              if (!r) return;
              res = await call("POST", `/v1/vouchers/${r.code}/redeem`, { token, body: { reservation_id: r.id } });
              if (res.status === 201) redemptions.push({ id: res.body.id, code: r.code });
              break;
            }
            case "release": {
              const r = reservations[o.pick % Math.max(1, reservations.length)];
              if (!r) return;
              res = await call("DELETE", `/v1/vouchers/${r.code}/reservations/${r.id}`, { token });
              break;
            }
            case "expire": {
              const r = reservations[o.pick % Math.max(1, reservations.length)];
              if (!r) return;
              const stub = voucherObject(owner.teamId, r.code);
              await runInDurableObject(stub, (_i: VoucherObject, state) => {
                const row = state.storage.sql.exec<{ record: string; status: string }>("SELECT record, status FROM reservations WHERE id = ?", r.id).one();
                if (row.status !== "held") return;
                const record = { ...JSON.parse(row.record), expiresAt: Date.now() - 1 };
                state.storage.sql.exec("UPDATE reservations SET expires_at = ?, record = ? WHERE id = ?", record.expiresAt, JSON.stringify(record), r.id);
              });
              await runDurableObjectAlarm(stub);
              return;
            }
            case "rollback": {
              const r = redemptions[o.pick % Math.max(1, redemptions.length)];
              if (!r) return;
              res = await call("POST", `/v1/vouchers/${r.code}/rollback`, { token, body: { redemption_id: r.id } });
              break;
            }
            case "pause":
              res = await call("POST", `/v1/campaigns/${campaign.id}/pause`, { token: admin.key, body: { paused: o.paused } });
              break;
          }
          if (res) expect(res.status, JSON.stringify(res.body)).toBeLessThan(500);
        };
        for (const batch of batches) {
          await Promise.all(batch.map(run));
          // Let every voucher's pending releases reach the campaign.
          for (const code of codes) await runDurableObjectAlarm(voucherObject(owner.teamId, code));
          const all = await Promise.all(codes.map((code) => kept(owner.teamId, code)));
          let spent = 0;
          const perCustomer = new Map<string, number>();
          for (const k of all) {
            expect(k.count).toBe(k.standing.length);
            const used = [...k.standing, ...k.held];
            const total = used.reduce((s, u) => s + u.amount, 0);
            expect(k.balance).toBe(GIFT - k.standing.reduce((s, u) => s + u.amount, 0));
            expect(total).toBeLessThanOrEqual(GIFT);
            const orders = used.map((u) => u.order).filter((x) => x !== null);
            expect(new Set(orders).size, JSON.stringify(orders)).toBe(orders.length);
            spent += total;
            for (const u of used) if (u.customer) perCustomer.set(u.customer, (perCustomer.get(u.customer) ?? 0) + 1);
          }
          expect(spent).toBeLessThanOrEqual(BUDGET);
          const stats = (await call("GET", `/v1/campaigns/${campaign.id}`, { token: admin.key })).body.stats;
          expect(stats.discount_total).toBe(spent);
          const counts = await runInDurableObject(env.CAMPAIGNS.get(env.CAMPAIGNS.idFromName(campaign.id)), (_i, state) =>
            state.storage.sql.exec<{ customer_id: string; redemptions: number }>("SELECT * FROM customers").toArray(),
          );
          for (const n of perCustomer.values()) expect(n).toBeLessThanOrEqual(PER_CUSTOMER);
          const campaignCounts = Object.fromEntries(counts.filter((c) => c.redemptions !== 0).map((c) => [c.customer_id, c.redemptions]));
          expect(campaignCounts).toEqual(Object.fromEntries(perCustomer));
        }
      }),
      { seed: SEED, numRuns: 12, endOnFailure: true },
    );
  });
});

describe("a reservation's campaign share given back while the campaign cannot be reached", () => {
  it("release and expiry answer at once; the share comes back on the retry, once, and nothing else moves", async () => {
    const { owner, admin } = await newTeam();
    const token = (await createKey(owner.accessToken, { name: "checkout", rate_limit_per_minute: 10_000 })).key;
    const campaign = await createCampaign(admin.key, { discount: { type: "amount", amount_off: 1000 }, currency: "EUR", budget_cap: { amount: 3000 }, per_customer_limit: 2 });
    const codes: string[] = [];
    for (let i = 0; i < 2; i++) codes.push((await call("POST", "/v1/vouchers", { token: admin.key, body: { campaign_id: campaign.id, code: uniqueCode("UNR") } })).body.code);
    const body = (c: string) => ({ customer_id: c, order: { id: `o-${Math.random()}`, amount: 5000, currency: "EUR" } });
    const r1 = await call("POST", `/v1/vouchers/${codes[0]}/reserve`, { token, body: body("cus-a") });
    const r2 = await call("POST", `/v1/vouchers/${codes[0]}/reserve`, { token, body: body("cus-a") });
    const red = await call("POST", `/v1/vouchers/${codes[0]}/redeem`, { token, body: { reservation_id: r2.body.id } });
    expect([r1.status, r2.status, red.status]).toEqual([201, 201, 201]);
    // The campaign is unreachable from the voucher's object: every release throws.
    let broken = true;
    await runInDurableObject(voucherObject(owner.teamId, codes[0]!), (instance: VoucherObject) => {
      const holder = instance as unknown as { env: { CAMPAIGNS: DurableObjectNamespace } };
      const real = holder.env.CAMPAIGNS;
      const wrapped = {
        idFromName: (n: string) => real.idFromName(n),
        get: (id: DurableObjectId) => {
          const stub = real.get(id) as unknown as Record<string, (...a: unknown[]) => unknown>;
          return new Proxy(stub, {
            get: (s, m) => (m === "release" && broken ? async () => Promise.reject(new Error("campaign unreachable")) : Reflect.get(s, m)),
          });
        },
      };
      holder.env = { ...holder.env, CAMPAIGNS: wrapped as unknown as DurableObjectNamespace };
    });
    const [released, rolled] = await Promise.all([
      call("DELETE", `/v1/vouchers/${codes[0]}/reservations/${r1.body.id}`, { token }),
      call("POST", `/v1/vouchers/${codes[0]}/rollback`, { token, body: { redemption_id: red.body.id } }),
    ]);
    expect([released.status, rolled.status]).toEqual([204, 200]);
    // Still held by the campaign: cus-a is at its limit and 2000 of the budget is taken.
    let stats = (await call("GET", `/v1/campaigns/${campaign.id}`, { token: admin.key })).body.stats;
    expect(stats.discount_total).toBe(2000);
    const refused = await call("POST", `/v1/vouchers/${codes[1]}/redeem`, { token, body: body("cus-a") });
    expect(refused.status, JSON.stringify(refused.body)).toBe(409);
    // A retry that fails again, then one that succeeds.
    await runDurableObjectAlarm(voucherObject(owner.teamId, codes[0]!));
    broken = false;
    await runDurableObjectAlarm(voucherObject(owner.teamId, codes[0]!));
    stats = (await call("GET", `/v1/campaigns/${campaign.id}`, { token: admin.key })).body.stats;
    expect(stats.discount_total).toBe(0);
    await runDurableObjectAlarm(voucherObject(owner.teamId, codes[0]!));
    expect((await call("GET", `/v1/campaigns/${campaign.id}`, { token: admin.key })).body.stats.discount_total).toBe(0);
    const again = await Promise.all([0, 1, 0, 1].map((v) => call("POST", `/v1/vouchers/${codes[v]}/redeem`, { token, body: body("cus-a") })));
    expect(again.filter((a) => a.status === 201)).toHaveLength(2);
    const pending = await runInDurableObject(voucherObject(owner.teamId, codes[0]!), (_i, state) => ({
      r: state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM reservations WHERE release_pending = 1").one().n,
      d: state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM redemptions WHERE release_pending = 1").one().n,
    }));
    expect(pending).toEqual({ r: 0, d: 0 });
  });
});
