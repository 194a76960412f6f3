// The checkout's webhook events (API.md §9) ride the ledger stream: voucher.redeemed and redemption.rolled_back
// are written by its consumer with the redemption rows, exactly once per change, and reach the team's endpoints.
import { describe, expect, it } from "vitest";
import { call, newTeam, sleep } from "../helpers/api";
import { createVoucher, flushedRead, order, redeemOk, rollback } from "../helpers/vouchers";
import { createEndpoint, received } from "../helpers/webhooks";

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
    // More flushes and deliveries change nothing: one event per change.
    await flushedRead([{ teamId: owner.teamId, code: voucher.code }], events, () => false);
    await sleep(200);
    expect(await events()).toHaveLength(2);
    expect(await received(stranger.path)).toEqual([]);
    const listed = await call("GET", `/v1/webhooks/${endpoint.id}/deliveries`, { token: admin.key });
    expect(listed.body.data).toHaveLength(2);
  });
});
