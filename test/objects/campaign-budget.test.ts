// The campaign's object under load: its budget and campaign-wide per-customer limit hold across many vouchers
// redeemed at once; rollback gives budget back; pause, end date and a lowered cap apply to the very next call.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, createKey, expectError, newTeam, sleep } from "../helpers/api";
import { campaignStats, campaignVouchers, createCampaign } from "../helpers/campaigns";
import { flushedRead, order, redeem, redeemOk, rollback, validate } from "../helpers/vouchers";

const HEAVY = 120_000;

/** A team, a key with a generous rate limit, and a campaign of `count` vouchers (its body made just before it is created). */
async function setup(campaign: Record<string, unknown> | (() => Record<string, unknown>), count: number) {
  const { owner, admin } = await newTeam();
  const token = (await createKey(owner.accessToken, { name: "checkout", rate_limit_per_minute: 10_000 })).key;
  const created = await createCampaign(token, typeof campaign === "function" ? campaign() : campaign);
  const codes = await campaignVouchers(token, created.id, count);
  return { token, teamId: owner.teamId, campaignId: created.id as string, codes };
}

const at = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();

describe("campaign budget", () => {
  it(
    "300 concurrent redemptions on 300 codes of a campaign whose budget covers 100: exactly 100 succeed",
    async () => {
      const { token, campaignId, codes } = await setup(
        { discount: { type: "amount", amount_off: 1000 }, currency: "EUR", budget_cap: { amount: 100_000 } },
        300,
      );
      const answers = await Promise.all(codes.map((code, i) => redeem(token, code, { customer_id: `cus-${i}`, order: order(5000) })));
      const ok = answers.filter((a) => a.status === 201);
      const refused = answers.filter((a) => a.status !== 201);
      expect(ok).toHaveLength(100);
      expect(ok.every((a) => a.body.discount_amount === 1000 && a.body.campaign_id === campaignId)).toBe(true);
      expect(refused).toHaveLength(200);
      for (const a of refused) {
        expectError(a, 422, "voucher_not_eligible");
        expect(a.body.reason).toBe("budget_exhausted");
      }

      const stats = await campaignStats(token, campaignId);
      expect(stats.discount_total).toBeLessThanOrEqual(100_000);
      expect(stats).toMatchObject({ vouchers_count: 300, redemptions_count: 100, discount_total: 100_000, budget_remaining: 0 });

      // Spent out: validate says so too, and nothing more gets through.
      const unused = codes.find((_, i) => answers[i]!.status !== 201)!;
      expect((await validate(token, unused, { order: order(5000) })).body).toMatchObject({ valid: false, reason: "budget_exhausted" });
      expect((await redeem(token, unused, { order: order(5000) })).body.reason).toBe("budget_exhausted");
    },
    HEAVY,
  );

  it(
    "percent discounts on varying orders: successes never sum past the cap and each is applied whole",
    async () => {
      const cap = 50_000;
      const { token, campaignId, codes } = await setup({ discount: { type: "percent", percent_off: 10 }, currency: "EUR", budget_cap: { amount: cap } }, 150);
      const amounts = codes.map((_, i) => 1_000 + ((i * 7919) % 90_000));
      const answers = await Promise.all(codes.map((code, i) => redeem(token, code, { order: order(amounts[i]!) })));

      let spent = 0;
      const refusedDiscounts: number[] = [];
      answers.forEach((a, i) => {
        const full = Math.floor(amounts[i]! / 10);
        if (a.status === 201) {
          expect(a.body.discount_amount).toBe(full);
          expect(a.body.order.total_amount).toBe(amounts[i]! - full);
          spent += a.body.discount_amount;
        } else {
          expectError(a, 422, "voucher_not_eligible");
          expect(a.body.reason).toBe("budget_exhausted");
          refusedDiscounts.push(full);
        }
      });
      expect(spent).toBeLessThanOrEqual(cap);
      expect(refusedDiscounts.length).toBeGreaterThan(0);
      // Spending only grows (no rollbacks here), so each refused discount must not fit in what is left at the end.
      for (const d of refusedDiscounts) expect(spent + d).toBeGreaterThan(cap);

      const stats = await campaignStats(token, campaignId);
      expect(stats.discount_total).toBe(spent);
      expect(stats.budget_remaining).toBe(cap - spent);
      expect(stats.redemptions_count).toBe(answers.length - refusedDiscounts.length);
    },
    HEAVY,
  );

  it("a redemption that would exceed the remaining budget is refused whole, never partially applied", async () => {
    const { token, campaignId, codes } = await setup({ discount: { type: "percent", percent_off: 10 }, currency: "EUR", budget_cap: { amount: 10_000 } }, 4);
    const first = await redeemOk(token, codes[0]!, { order: order(60_000) });
    expect(first.discount_amount).toBe(6000);

    const check = await validate(token, codes[1]!, { order: order(50_000) });
    expect(check.body).toMatchObject({ valid: false, reason: "budget_exhausted" });
    const tooMuch = await redeem(token, codes[1]!, { order: order(50_000) });
    expectError(tooMuch, 422, "voucher_not_eligible");
    expect(tooMuch.body.reason).toBe("budget_exhausted");
    expect(await campaignStats(token, campaignId)).toMatchObject({ redemptions_count: 1, discount_total: 6000, budget_remaining: 4000 });
    expect((await call("GET", `/v1/vouchers/${codes[1]}`, { token })).body.redemptions_count).toBe(0);

    // Exactly what is left still fits.
    const exact = await redeemOk(token, codes[2]!, { order: order(40_000) });
    expect(exact.discount_amount).toBe(4000);
    expect(await campaignStats(token, campaignId)).toMatchObject({ redemptions_count: 2, discount_total: 10_000, budget_remaining: 0 });
    expect((await redeem(token, codes[3]!, { order: order(10) })).body.reason).toBe("budget_exhausted");
  });

  it("a gift-card campaign's cap limits the total spent", async () => {
    const { token, campaignId, codes } = await setup({ type: "gift_card", discount: undefined, gift_card: { amount: 5000 }, currency: "EUR", budget_cap: { amount: 12_000 } }, 30);
    const answers = await Promise.all(codes.map((code) => redeem(token, code, { amount: 5000, order: order(8000) })));
    const ok = answers.filter((a) => a.status === 201);
    expect(ok).toHaveLength(2);
    for (const a of answers.filter((x) => x.status !== 201)) expect(a.body.reason).toBe("budget_exhausted");
    expect(await campaignStats(token, campaignId)).toMatchObject({ discount_total: 10_000, budget_remaining: 2000 });
    const rest = codes.find((_, i) => answers[i]!.status !== 201)!;
    expect((await redeemOk(token, rest, { amount: 2000, order: order(8000) })).discount_amount).toBe(2000);
    expect(await campaignStats(token, campaignId)).toMatchObject({ discount_total: 12_000, budget_remaining: 0 });
  });

  it("rollback gives the budget back and a new redemption can use it", async () => {
    const { token, campaignId, codes } = await setup({ discount: { type: "amount", amount_off: 1000 }, currency: "EUR", budget_cap: { amount: 3000 } }, 4);
    const redemptions = [];
    for (const code of codes.slice(0, 3)) redemptions.push(await redeemOk(token, code, { order: order(5000) }));
    expect(await campaignStats(token, campaignId)).toMatchObject({ redemptions_count: 3, discount_total: 3000, budget_remaining: 0 });
    expect((await redeem(token, codes[3]!, { order: order(5000) })).body.reason).toBe("budget_exhausted");

    const undone = await rollback(token, codes[1]!, { redemption_id: redemptions[1].id });
    expect(undone.status, JSON.stringify(undone.body)).toBe(200);
    expect(undone.body.status).toBe("rolled_back");
    expect(await campaignStats(token, campaignId)).toMatchObject({ redemptions_count: 2, discount_total: 2000, budget_remaining: 1000 });

    const again = await rollback(token, codes[1]!, { redemption_id: redemptions[1].id });
    expectError(again, 409, "already_rolled_back");
    expect(await campaignStats(token, campaignId)).toMatchObject({ discount_total: 2000, budget_remaining: 1000 });

    await redeemOk(token, codes[3]!, { order: order(5000) });
    expect(await campaignStats(token, campaignId)).toMatchObject({ redemptions_count: 3, discount_total: 3000, budget_remaining: 0 });
    expect((await redeem(token, codes[1]!, { order: order(5000) })).body.reason).toBe("budget_exhausted");
  });

  it(
    "rollbacks racing new redemptions keep the ledger exact and the cap unbroken",
    async () => {
      const cap = 20_000;
      const { token, teamId, campaignId, codes } = await setup({ discount: { type: "amount", amount_off: 1000 }, currency: "EUR", budget_cap: { amount: cap } }, 60);
      const first = await Promise.all(codes.slice(0, 20).map((code) => redeemOk(token, code, { order: order(5000) })));
      expect(await campaignStats(token, campaignId)).toMatchObject({ discount_total: cap, budget_remaining: 0 });

      const [rollbacks, fresh] = await Promise.all([
        Promise.all(first.slice(0, 10).map((r, i) => rollback(token, codes[i]!, { redemption_id: r.id }))),
        Promise.all(codes.slice(20, 50).map((code) => redeem(token, code, { order: order(5000) }))),
      ]);
      expect(rollbacks.every((r) => r.status === 200)).toBe(true);
      const won = fresh.filter((a) => a.status === 201).length;
      for (const a of fresh.filter((x) => x.status !== 201)) expect(a.body.reason).toBe("budget_exhausted");
      expect(won).toBeLessThanOrEqual(10);
      expect(await campaignStats(token, campaignId)).toMatchObject({
        redemptions_count: 10 + won,
        discount_total: (10 + won) * 1000,
        budget_remaining: (10 - won) * 1000,
      });

      // What is left can be used to the last cent, and not one more.
      const rest = await Promise.all(codes.slice(50, 60).map((code) => redeem(token, code, { order: order(5000) })));
      expect(rest.filter((a) => a.status === 201)).toHaveLength(10 - won);
      expect(await campaignStats(token, campaignId)).toMatchObject({ redemptions_count: 20, discount_total: cap, budget_remaining: 0 });

      // History agrees with the ledger once the vouchers' outboxes have written to D1.
      const history = await flushedRead(
        codes.map((code) => ({ teamId, code })),
        async () =>
          (await env.DB.prepare("SELECT count(*) AS n, coalesce(sum(discount_amount), 0) AS total FROM redemptions WHERE campaign_id = ? AND status = 'redeemed'")
            .bind(campaignId)
            .first<{ n: number; total: number }>())!,
        (h) => h.n === 20,
      );
      expect(history).toEqual({ n: 20, total: cap });
    },
    HEAVY,
  );

  it("lowering the cap with PATCH takes effect on the very next redemption; removing it lifts the limit", async () => {
    const { token, campaignId, codes } = await setup({ discount: { type: "amount", amount_off: 1000 }, currency: "EUR", budget_cap: { amount: 10_000 } }, 6);
    for (const code of codes.slice(0, 3)) await redeemOk(token, code, { order: order(5000) });
    const lowered = await call("PATCH", `/v1/campaigns/${campaignId}`, { token, body: { budget_cap: { amount: 3500 } } });
    expect(lowered.status).toBe(200);
    expect((await validate(token, codes[3]!, { order: order(5000) })).body).toMatchObject({ valid: false, reason: "budget_exhausted" });
    const refused = await redeem(token, codes[3]!, { order: order(5000) });
    expectError(refused, 422, "voucher_not_eligible");
    expect(refused.body.reason).toBe("budget_exhausted");
    expect(await campaignStats(token, campaignId)).toMatchObject({ discount_total: 3000, budget_remaining: 500 });

    // Lowered below what is already spent: remaining is 0, never negative.
    await call("PATCH", `/v1/campaigns/${campaignId}`, { token, body: { budget_cap: { amount: 1000 } } });
    expect((await campaignStats(token, campaignId)).budget_remaining).toBe(0);

    const lifted = await call("PATCH", `/v1/campaigns/${campaignId}`, { token, body: { budget_cap: null } });
    expect(lifted.status).toBe(200);
    await redeemOk(token, codes[4]!, { order: order(5000) });
    expect(await campaignStats(token, campaignId)).toMatchObject({ discount_total: 4000, budget_remaining: null });

    const raised = await call("PATCH", `/v1/campaigns/${campaignId}`, { token, body: { budget_cap: { amount: 4500 } } });
    expect(raised.status).toBe(200);
    expect((await redeem(token, codes[5]!, { order: order(5000) })).body.reason).toBe("budget_exhausted");
  });
});

describe("campaign-wide per-customer limit", () => {
  it(
    "per_customer_limit 3 across 20 codes: 60 concurrent redemptions by one customer → exactly 3 succeed",
    async () => {
      const { token, campaignId, codes } = await setup({ discount: { type: "percent", percent_off: 10 }, per_customer_limit: 3 }, 20);
      const attempts = Array.from({ length: 60 }, (_, i) => codes[i % 20]!);
      const answers = await Promise.all(attempts.map((code) => redeem(token, code, { customer_id: "cus-greedy", order: order(5000) })));
      expect(answers.filter((a) => a.status === 201)).toHaveLength(3);
      for (const a of answers.filter((x) => x.status !== 201)) expectError(a, 409, "customer_limit_reached");

      // Another customer still has their own 3; the first one is refused everywhere, also on validate.
      const other = await Promise.all(codes.slice(0, 5).map((code) => redeem(token, code, { customer_id: "cus-other", order: order(5000) })));
      expect(other.filter((a) => a.status === 201)).toHaveLength(3);
      const check = await validate(token, codes[19]!, { customer_id: "cus-greedy", order: order(5000) });
      expect(check.body).toMatchObject({ valid: false, reason: "customer_limit_reached" });
      expect((await campaignStats(token, campaignId)).redemptions_count).toBe(6);
    },
    HEAVY,
  );

  it("a rollback gives the customer's campaign-wide use back", async () => {
    const { token, codes } = await setup({ discount: { type: "percent", percent_off: 10 }, per_customer_limit: 1 }, 2);
    const first = await redeemOk(token, codes[0]!, { customer_id: "cus-1", order: order(5000) });
    expectError(await redeem(token, codes[1]!, { customer_id: "cus-1", order: order(5000) }), 409, "customer_limit_reached");
    expect((await validate(token, codes[1]!, { order: order(5000) })).body).toMatchObject({ valid: false, reason: "customer_required" });
    expect((await rollback(token, codes[0]!, { redemption_id: first.id })).status).toBe(200);
    await redeemOk(token, codes[1]!, { customer_id: "cus-1", order: order(5000) });
  });
});

describe("pause and end date", () => {
  it("a paused campaign refuses the very next validate and redeem; resuming lets them through again", async () => {
    const { token, campaignId, codes } = await setup({ discount: { type: "amount", amount_off: 500 }, currency: "EUR" }, 2);
    // Warm the objects first, so a stale cached state would show.
    expect((await validate(token, codes[0]!, { order: order(5000) })).body.valid).toBe(true);
    await redeemOk(token, codes[1]!, { order: order(5000) });

    const paused = await call("POST", `/v1/campaigns/${campaignId}/pause`, { token, body: { paused: true } });
    expect(paused.status).toBe(200);
    expect(paused.body.status).toBe("paused");
    const check = await validate(token, codes[0]!, { order: order(5000) });
    expect(check.status).toBe(200);
    expect(check.body).toMatchObject({ valid: false, reason: "campaign_paused" });
    for (const code of codes) {
      const refused = await redeem(token, code, { order: order(5000) });
      expectError(refused, 422, "voucher_not_eligible");
      expect(refused.body.reason).toBe("campaign_paused");
    }
    expect((await campaignStats(token, campaignId)).redemptions_count).toBe(1);

    const resumed = await call("POST", `/v1/campaigns/${campaignId}/pause`, { token, body: { paused: false } });
    expect(resumed.body.status).toBe("active");
    expect((await validate(token, codes[0]!, { order: order(5000) })).body).toMatchObject({ valid: true, discount_amount: 500 });
    await redeemOk(token, codes[0]!, { order: order(5000) });
    expect((await campaignStats(token, campaignId)).redemptions_count).toBe(2);
  });

  it("PATCH ends_at into the past ends the campaign at once: reason campaign_ended", async () => {
    const { token, campaignId, codes } = await setup({ discount: { type: "amount", amount_off: 500 }, currency: "EUR" }, 1);
    expect((await validate(token, codes[0]!, { order: order(5000) })).body.valid).toBe(true);
    const patched = await call("PATCH", `/v1/campaigns/${campaignId}`, { token, body: { ends_at: at(-60_000) } });
    expect(patched.status).toBe(200);
    expect(patched.body.status).toBe("ended");
    expect((await validate(token, codes[0]!, { order: order(5000) })).body).toMatchObject({ valid: false, reason: "campaign_ended" });
    const refused = await redeem(token, codes[0]!, { order: order(5000) });
    expectError(refused, 422, "voucher_not_eligible");
    expect(refused.body.reason).toBe("campaign_ended");
    const list = await call("GET", "/v1/campaigns?status=ended", { token });
    expect(list.body.data.map((c: { id: string }) => c.id)).toEqual([campaignId]);

    // Moving the end date out again reopens it.
    await call("PATCH", `/v1/campaigns/${campaignId}`, { token, body: { ends_at: at(60 * 60_000) } });
    await redeemOk(token, codes[0]!, { order: order(5000) });
  });

  it("a campaign whose ends_at passes ends by itself", async () => {
    // Far enough ahead for the campaign, its voucher and a validation even on a loaded CI machine; then waited out.
    let endsAt = 0;
    const { token, campaignId, codes } = await setup(() => {
      endsAt = Date.now() + 5000;
      return { discount: { type: "amount", amount_off: 500 }, currency: "EUR", ends_at: new Date(endsAt).toISOString() };
    }, 1);
    expect((await validate(token, codes[0]!, { order: order(5000) })).body.valid).toBe(true);
    await sleep(Math.max(0, endsAt - Date.now()) + 100);
    expect((await validate(token, codes[0]!, { order: order(5000) })).body).toMatchObject({ valid: false, reason: "campaign_ended" });
    const refused = await redeem(token, codes[0]!, { order: order(5000) });
    expect(refused.body.reason).toBe("campaign_ended");
    expect((await call("GET", `/v1/campaigns/${campaignId}`, { token })).body.status).toBe("ended");
  });

  it("a paused campaign stays paused for vouchers created while it is paused", async () => {
    const { token, campaignId } = await setup({ discount: { type: "amount", amount_off: 500 }, currency: "EUR" }, 0);
    await call("POST", `/v1/campaigns/${campaignId}/pause`, { token, body: { paused: true } });
    const [code] = await campaignVouchers(token, campaignId, 1);
    expect((await validate(token, code!, { order: order(5000) })).body).toMatchObject({ valid: false, reason: "campaign_paused" });
  });
});
