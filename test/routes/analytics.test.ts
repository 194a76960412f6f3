// API.md §7 analytics: the overview and a campaign's series, exact once the ledger stream has landed; the
// customer_velocity detector on the same path; tenant isolation of every analytics endpoint.
import { describe, expect, it } from "vitest";
import { call, createKey, newTeam } from "../helpers/api";
import { createCampaign } from "../helpers/campaigns";
import { clearOfHourBoundary } from "../helpers/poll";
import { expectApiError } from "../helpers/security";
import { createVoucher, flushedRead, order, redeemOk, rollback, validate } from "../helpers/vouchers";

const overview = (token: string, query = "") => call("GET", `/v1/analytics/overview${query}`, { token });

describe("GET /v1/analytics/overview", () => {
  it("counts validations, standing redemptions, rollbacks and discounts exactly once the stream has landed", async () => {
    const { owner, admin } = await newTeam();
    const campaign = await createCampaign(admin.key, { discount: { type: "amount", amount_off: 200 }, currency: "EUR" });
    const inCampaign = (await call("POST", "/v1/vouchers", { token: admin.key, body: { campaign_id: campaign.id } })).body;
    const single = await createVoucher(admin.key, { discount: { type: "amount", amount_off: 300 }, currency: "EUR", redemption_limit: 1 });
    const objects = [
      { teamId: owner.teamId, code: inCampaign.code },
      { teamId: owner.teamId, code: single.code },
    ];
    const a = await redeemOk(admin.key, inCampaign.code, { customer_id: "c-1", order: order(5000) });
    await redeemOk(admin.key, inCampaign.code, { customer_id: "c-2", order: order(5000) });
    await redeemOk(admin.key, single.code, { customer_id: "c-3", order: order(5000) });
    expect((await rollback(admin.key, inCampaign.code, { redemption_id: a.id })).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await validate(admin.key, inCampaign.code, { order: order(5000) })).body.valid).toBe(true);
    // The single-use voucher is spent: an invalid validation.
    expect((await validate(admin.key, single.code, { order: order(5000) })).body.valid).toBe(false);

    const res = await flushedRead(objects, () => overview(admin.key), (r) => r.body?.validations?.count === 4 && r.body?.redemptions?.rolled_back === 1);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      campaigns: { total: 1, active: 1, paused: 0 },
      vouchers: { total: 2, active: 1 },
      redemptions: { count: 2, rolled_back: 1 },
      discount_total: 500,
      validations: { count: 4, valid: 3, invalid: 1 },
      redemption_rate: 0.6667,
    });
    // A redelivered stream changes nothing: read again after more flushes (for a few seconds).
    const again = await flushedRead(objects, () => overview(admin.key), () => false, { timeoutMs: 5_000 });
    expect(again.body.redemptions).toEqual(res.body.redemptions);
    expect(again.body.discount_total).toBe(500);
    // A window before any of it is empty.
    const past = new Date(Date.now() - 3 * 3_600_000).toISOString();
    const earlier = new Date(Date.now() - 2 * 3_600_000).toISOString();
    const empty = await overview(admin.key, `?from=${past}&to=${earlier}`);
    expect(empty.body).toMatchObject({ redemptions: { count: 0, rolled_back: 0 }, discount_total: 0, validations: { count: 0 }, redemption_rate: 0 });
    // Another team's overview is its own.
    const other = await newTeam();
    expect((await overview(other.admin.key)).body).toMatchObject({ campaigns: { total: 0 }, vouchers: { total: 0 }, redemptions: { count: 0 } });
    expectApiError(await overview(admin.key, `?from=${earlier}&to=${past}`), 400, "invalid_request");
  });
});

describe("GET /v1/analytics/campaigns/{id}", () => {
  it("a series of hourly points with the campaign's totals; another team's campaign is 404", async () => {
    // Everything below lands in the hour it is read in, even on a slow machine.
    await clearOfHourBoundary();
    const { owner, admin } = await newTeam();
    const campaign = await createCampaign(admin.key, { discount: { type: "amount", amount_off: 100 }, currency: "EUR" });
    const voucher = (await call("POST", "/v1/vouchers", { token: admin.key, body: { campaign_id: campaign.id } })).body;
    const first = await redeemOk(admin.key, voucher.code, { order: order(1000) });
    await redeemOk(admin.key, voucher.code, { order: order(1000) });
    expect((await rollback(admin.key, voucher.code, { redemption_id: first.id })).status).toBe(200);
    await validate(admin.key, voucher.code, { order: order(1000) });
    const url = `/v1/analytics/campaigns/${campaign.id}?interval=hour`;
    const res = await flushedRead(
      [{ teamId: owner.teamId, code: voucher.code }],
      () => call("GET", url, { token: admin.key }),
      (r) => r.body?.totals?.redemptions?.rolled_back === 1 && r.body?.totals?.validations?.count === 1,
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      campaign_id: campaign.id,
      interval: "hour",
      totals: { redemptions: { count: 1, rolled_back: 1 }, discount_total: 100, validations: { count: 1, valid: 1, invalid: 0 }, redemption_rate: 1 },
    });
    const hour = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000).toISOString().replace(".000Z", "Z");
    const point = res.body.series.find((p: { t: string }) => p.t === hour);
    expect(point).toEqual({ t: hour, validations: 1, redemptions: 1, rollbacks: 1, discount_amount: 100 });
    expect(res.body.series.reduce((n: number, p: { redemptions: number }) => n + p.redemptions, 0)).toBe(1);
    const daily = await call("GET", `/v1/analytics/campaigns/${campaign.id}?interval=day`, { token: admin.key });
    expect(daily.body.series.every((p: { t: string }) => p.t.endsWith("T00:00:00Z"))).toBe(true);
    const other = await newTeam();
    expectApiError(await call("GET", `/v1/analytics/campaigns/${campaign.id}`, { token: other.admin.key }), 404, "not_found");
    const noAnalytics = await createKey(owner.accessToken, { name: "no analytics", scopes: ["read:campaigns"] });
    expectApiError(await call("GET", url, { token: noAnalytics.key }), 403, "insufficient_scope");
  });
});

describe("customer_velocity", () => {
  it("a customer redeeming past the team's threshold raises one alert naming the customer, in that team only", async () => {
    const { owner, admin } = await newTeam();
    await call("PUT", "/v1/analytics/fraud/settings", { token: admin.key, body: { customer_velocity: { count: 3, window_seconds: 3600 } } });
    const codes: string[] = [];
    for (let i = 0; i < 4; i++) {
      const v = await createVoucher(admin.key);
      codes.push(v.code);
      await redeemOk(admin.key, v.code, { customer_id: "fast-buyer", order: order() });
    }
    await redeemOk(admin.key, (await createVoucher(admin.key)).code, { customer_id: "calm-buyer", order: order() });
    const res = await flushedRead(
      codes.map((code) => ({ teamId: owner.teamId, code })),
      () => call("GET", "/v1/analytics/fraud", { token: admin.key }),
      (r) => r.body?.data?.some((a: { type: string; count: number }) => a.type === "customer_velocity" && a.count >= 4),
    );
    const velocity = res.body.data.filter((a: { type: string }) => a.type === "customer_velocity");
    expect(velocity).toHaveLength(1);
    expect(velocity[0]).toMatchObject({ subject: "fast-buyer", count: 4, window_seconds: 3600, severity: "low" });
    const other = await newTeam();
    expect((await call("GET", "/v1/analytics/fraud", { token: other.admin.key })).body.data).toEqual([]);
  });
});
