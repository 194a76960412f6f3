// Exactly-once redemption under concurrency: the voucher's object must never let a limit, a per-customer
// limit or a gift-card balance be exceeded, whatever arrives at once.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, createKey, newTeam } from "../helpers/api";
import { campaignStats, campaignVouchers, createCampaign } from "../helpers/campaigns";
import { flushVoucher } from "../helpers/vouchers";

async function setup(voucher: Record<string, unknown>) {
  const { owner, admin } = await newTeam();
  // A generous rate limit: these tests are about the voucher, not the credential's window.
  const key = await createKey(owner.accessToken, { name: "checkout", rate_limit_per_minute: 10_000 });
  const created = await call("POST", "/v1/vouchers", { token: admin.key, body: voucher });
  expect(created.status).toBe(201);
  const code = created.body.code as string;
  return { token: key.key, code, teamId: owner.teamId };
}

const order = (id: string, amount = 10_000) => ({ id, amount, currency: "EUR" });

describe("redemptions under concurrency", () => {
  it("500 concurrent redemptions of a voucher limited to 100: exactly 100 succeed, the rest 409", async () => {
    const { token, code, teamId } = await setup({ discount: { type: "amount", amount_off: 500 }, currency: "EUR", redemption_limit: 100 });
    const answers = await Promise.all(
      Array.from({ length: 500 }, (_, i) => call("POST", `/v1/vouchers/${code}/redeem`, { token, body: { order: order(`ord-${i}`) } })),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(100);
    expect(statuses.filter((s) => s === 409)).toHaveLength(400);
    expect(answers.filter((a) => a.status === 409).every((a) => a.body.error === "redemption_limit_reached")).toBe(true);
    const ids = new Set(answers.filter((a) => a.status === 201).map((a) => a.body.id));
    expect(ids.size).toBe(100);

    const voucher = await call("GET", `/v1/vouchers/${code}`, { token });
    expect(voucher.body.redemptions_count).toBe(100);
    await flushVoucher(teamId, code);
    const stored = await env.DB.prepare("SELECT redemptions_count FROM vouchers WHERE team_id = ? AND code = ?").bind(teamId, code).first<{ redemptions_count: number }>();
    expect(stored?.redemptions_count).toBe(100);
    const history = await env.DB.prepare("SELECT count(*) AS n FROM redemptions WHERE team_id = ? AND code = ? AND status = 'redeemed'")
      .bind(teamId, code)
      .first<{ n: number }>();
    expect(history?.n).toBe(100);
  });

  it("per-customer limits hold under concurrency: each of 10 customers gets exactly 2 of 20 attempts", async () => {
    const { token, code, teamId } = await setup({ discount: { type: "percent", percent_off: 10 }, per_customer_limit: 2 });
    const attempts = Array.from({ length: 200 }, (_, i) => ({ customer: `cus-${i % 10}`, orderId: `o-${i}` }));
    const answers = await Promise.all(
      attempts.map((a) => call("POST", `/v1/vouchers/${code}/redeem`, { token, body: { customer_id: a.customer, order: order(a.orderId) } })),
    );
    const perCustomer = new Map<string, number>();
    answers.forEach((a, i) => {
      if (a.status === 201) perCustomer.set(attempts[i]!.customer, (perCustomer.get(attempts[i]!.customer) ?? 0) + 1);
      else expect(a.body.error).toBe("customer_limit_reached");
    });
    expect([...perCustomer.values()]).toEqual(Array(10).fill(2));
    await flushVoucher(teamId, code);
    const rows = await env.DB.prepare(
      "SELECT customer_id, count(*) AS n FROM redemptions WHERE team_id = ? AND code = ? AND status = 'redeemed' GROUP BY customer_id",
    )
      .bind(teamId, code)
      .all<{ customer_id: string; n: number }>();
    expect(rows.results).toHaveLength(10);
    expect(rows.results.every((r) => r.n === 2)).toBe(true);
  });

  it("a gift card's balance never goes negative and the spent total equals the sum of successes", async () => {
    const { token, code, teamId } = await setup({ type: "gift_card", gift_card: { amount: 10_000 }, currency: "EUR" });
    const amounts = Array.from({ length: 150 }, (_, i) => 100 + ((i * 37) % 400));
    const answers = await Promise.all(
      amounts.map((amount, i) => call("POST", `/v1/vouchers/${code}/redeem`, { token, body: { amount, order: order(`gc-${i}`, 1_000) } })),
    );
    const successes = answers.filter((a) => a.status === 201);
    const spent = successes.reduce((sum, a) => sum + (a.body.discount_amount as number), 0);
    expect(spent).toBeLessThanOrEqual(10_000);
    expect(successes.length).toBeGreaterThan(0);
    answers
      .filter((a) => a.status !== 201)
      .forEach((a) => {
        expect(a.status).toBe(422);
        expect(a.body.reason).toBe("insufficient_balance");
      });
    const voucher = await call("GET", `/v1/vouchers/${code}`, { token });
    expect(voucher.body.gift_card.balance).toBe(10_000 - spent);
    expect(voucher.body.gift_card.balance).toBeGreaterThanOrEqual(0);
    await flushVoucher(teamId, code);
    const total = await env.DB.prepare("SELECT sum(discount_amount) AS s FROM redemptions WHERE team_id = ? AND code = ? AND status = 'redeemed'")
      .bind(teamId, code)
      .first<{ s: number }>();
    expect(total?.s).toBe(spent);
  });

  it("50 concurrent retries with one Idempotency-Key make one redemption", async () => {
    const { token, code } = await setup({ discount: { type: "amount", amount_off: 100 }, currency: "EUR", redemption_limit: 1000 });
    const body = { customer_id: "cus-1", order: order("ord-retry") };
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => call("POST", `/v1/vouchers/${code}/redeem`, { token, body, headers: { "Idempotency-Key": "checkout-7" } })),
    );
    const created = answers.filter((a) => a.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    // Every 201 is the first answer, replayed; the others were told the key is in use.
    expect(new Set(created.map((a) => a.body.id)).size).toBe(1);
    expect(answers.filter((a) => a.status !== 201).every((a) => a.status === 409 && a.body.error === "idempotency_key_in_use")).toBe(true);
    const replay = await call("POST", `/v1/vouchers/${code}/redeem`, { token, body, headers: { "Idempotency-Key": "checkout-7" } });
    expect(replay.status).toBe(201);
    expect(replay.headers.get("Idempotent-Replayed")).toBe("true");
    expect(replay.body.id).toBe(created[0]!.body.id);
    const voucher = await call("GET", `/v1/vouchers/${code}`, { token });
    expect(voucher.body.redemptions_count).toBe(1);
  });

  it("concurrent redemptions and rollbacks keep the count equal to the live redemptions", async () => {
    const { token, code } = await setup({ discount: { type: "amount", amount_off: 100 }, currency: "EUR", redemption_limit: 30 });
    const first = await Promise.all(
      Array.from({ length: 30 }, (_, i) => call("POST", `/v1/vouchers/${code}/redeem`, { token, body: { order: order(`a-${i}`) } })),
    );
    expect(first.every((a) => a.status === 201)).toBe(true);
    // Roll back 10 while 40 new redemptions race for the freed places.
    const [rollbacks, second] = await Promise.all([
      Promise.all(first.slice(0, 10).map((a) => call("POST", `/v1/vouchers/${code}/rollback`, { token, body: { redemption_id: a.body.id } }))),
      Promise.all(Array.from({ length: 40 }, (_, i) => call("POST", `/v1/vouchers/${code}/redeem`, { token, body: { order: order(`b-${i}`) } }))),
    ]);
    expect(rollbacks.every((a) => a.status === 200)).toBe(true);
    const won = second.filter((a) => a.status === 201).length;
    expect(won).toBeLessThanOrEqual(10);
    const voucher = await call("GET", `/v1/vouchers/${code}`, { token });
    expect(voucher.body.redemptions_count).toBe(20 + won);
    expect(voucher.body.redemptions_count).toBeLessThanOrEqual(30);
  });
});

describe("first_order_only under concurrency", () => {
  const firstOrders = (token: string, code: string) =>
    Promise.all(
      Array.from({ length: 20 }, (_, i) => call("POST", `/v1/vouchers/${code}/redeem`, { token, body: { customer_id: "cus-new", order: order(`first-${i}`) } })),
    );

  it("20 concurrent first orders of one new customer on one voucher: exactly one succeeds", async () => {
    const { token, code } = await setup({ discount: { type: "amount", amount_off: 500 }, currency: "EUR", rules: { first_order_only: true } });
    const answers = await firstOrders(token, code);
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    for (const a of answers.filter((x) => x.status !== 201)) expect(a.body).toMatchObject({ error: "voucher_not_eligible", reason: "customer_not_eligible" });
  });

  it("the same on a campaign voucher, whose redemptions wait on the campaign's object", async () => {
    const { owner, admin } = await newTeam();
    const key = await createKey(owner.accessToken, { name: "checkout", rate_limit_per_minute: 10_000 });
    const campaign = await createCampaign(admin.key, { discount: { type: "amount", amount_off: 500 }, currency: "EUR", rules: { first_order_only: true } });
    const [code] = await campaignVouchers(admin.key, campaign.id, 1);
    const answers = await firstOrders(key.key, code!);
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    for (const a of answers.filter((x) => x.status !== 201)) expect(a.body).toMatchObject({ error: "voucher_not_eligible", reason: "customer_not_eligible" });
    expect((await campaignStats(admin.key, campaign.id)).redemptions_count).toBe(1);
  });
});
