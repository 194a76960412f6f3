// The checkout's webhook events (API.md §9) ride the ledger stream: voucher.redeemed and redemption.rolled_back
// are written by its consumer with the redemption rows, exactly once per change, and reach the team's endpoints.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, newTeam, sleep } from "../helpers/api";
import { createVoucher, flushedRead, order, redeemOk, rollback, validate } from "../helpers/vouchers";
import { createEndpoint, received } from "../helpers/webhooks";
import { createCampaign } from "../helpers/campaigns";
import { pollUntil } from "../helpers/poll";

type Delivered = { type: string; data: { id: string; customer_id: string | null; status: string } };

describe("checkout events", () => {
  it("a redemption and its rollback are each delivered once, with the redemption as data; other teams get nothing", async () => {
    const { owner, admin } = await newTeam();
    const endpoint = await createEndpoint(admin.key, { events: ["voucher.redeemed", "redemption.rolled_back"] });
    const other = await newTeam();
    const stranger = await createEndpoint(other.admin.key, { events: ["*"] });
    const voucher = await createVoucher(admin.key);
    const redemption = await redeemOk(admin.key, voucher.code, { customer_id: "cus-events", order: order(2000) });
    expect((await rollback(admin.key, voucher.code, { redemption_id: redemption.id })).status).toBe(200);

    const events = async () => (await received(endpoint.path)).map((r) => JSON.parse(r.body) as Delivered);
    const got = await flushedRead([{ teamId: owner.teamId, code: voucher.code }], events, (e) => e.length >= 2);
    expect(got.map((e) => e.type).sort()).toEqual(["redemption.rolled_back", "voucher.redeemed"]);
    for (const e of got) expect(e.data).toMatchObject({ id: redemption.id, customer_id: "cus-events" });
    // More flushes and deliveries (for a few seconds) change nothing: one event per change.
    await flushedRead([{ teamId: owner.teamId, code: voucher.code }], events, () => false, { timeoutMs: 5_000 });
    await sleep(200);
    expect(await events()).toHaveLength(2);
    expect(await received(stranger.path)).toEqual([]);
    const listed = await call("GET", `/v1/webhooks/${endpoint.id}/deliveries`, { token: admin.key });
    expect(listed.body.data).toHaveLength(2);
  });

  it("campaign.budget_reached: once when the budget fills or first refuses, again only after it reopens", async () => {
    const { admin } = await newTeam();
    const endpoint = await createEndpoint(admin.key, { events: ["campaign.budget_reached"] });
    const campaign = await createCampaign(admin.key, { discount: { type: "amount", amount_off: 200 }, currency: "EUR", budget_cap: { amount: 400 } });
    const codes: string[] = [];
    for (let i = 0; i < 4; i++) codes.push((await call("POST", "/v1/vouchers", { token: admin.key, body: { campaign_id: campaign.id } })).body.code);
    const first = await redeemOk(admin.key, codes[0]!, { order: order(1000) });
    await redeemOk(admin.key, codes[1]!, { order: order(1000) });
    // Filled exactly: one event. Refusals after it add none.
    for (const code of codes.slice(2)) expect((await call("POST", `/v1/vouchers/${code}/redeem`, { token: admin.key, body: { order: order(1000) } })).status).toBe(422);
    const events = async () => (await received(endpoint.path)).map((r) => JSON.parse(r.body) as { type: string; data: Record<string, unknown> });
    await pollUntil(events, (e) => e.length >= 1);
    await sleep(300);
    let got = await events();
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ type: "campaign.budget_reached", data: { campaign_id: campaign.id, budget_cap: 400, spent: 400 } });
    // A rollback reopens the budget; filling it again is a new event.
    expect((await rollback(admin.key, codes[0]!, { redemption_id: first.id })).status).toBe(200);
    await redeemOk(admin.key, codes[2]!, { order: order(1000) });
    got = await pollUntil(events, (e) => e.length >= 2);
    expect(got).toHaveLength(2);
  });

  it("voucher.validated reaches teams that subscribe to it, valid or not; others' validations leave no event row", async () => {
    const { admin } = await newTeam();
    const endpoint = await createEndpoint(admin.key, { events: ["voucher.validated"] });
    const voucher = await createVoucher(admin.key, { discount: { type: "amount", amount_off: 100 }, currency: "EUR", rules: { min_order_amount: 500 } });
    expect((await validate(admin.key, voucher.code, { customer_id: "c-v", order: order(1000) })).body.valid).toBe(true);
    expect((await validate(admin.key, voucher.code, { order: order(100) })).body.valid).toBe(false);
    const got = await pollUntil(
      async () => (await received(endpoint.path)).map((r) => JSON.parse(r.body) as { type: string; data: Record<string, unknown> }),
      (e) => e.length >= 2,
    );
    expect(got.map((e) => [e.type, e.data.valid]).sort()).toEqual([["voucher.validated", false], ["voucher.validated", true]]);
    expect(got.find((e) => e.data.valid)?.data).toMatchObject({ code: voucher.code, customer_id: "c-v", discount_amount: 100 });

    const quiet = await newTeam();
    const theirs = await createVoucher(quiet.admin.key);
    await validate(quiet.admin.key, theirs.code, { order: order(1000) });
    await sleep(200);
    const rows = await env.DB.prepare("SELECT count(*) AS n FROM webhook_events WHERE team_id = ? AND type = 'voucher.validated'").bind(quiet.owner.teamId).first<{ n: number }>();
    expect(rows?.n).toBe(0);
  });
});
