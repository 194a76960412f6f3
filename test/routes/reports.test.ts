// API.md §7: GET /v1/reports/redemptions — text/csv, one row per redemption and per rollback, filters honoured,
// RFC 4180 quoting, tenant isolation.
import { describe, expect, it } from "vitest";
import { call, createKey, newTeam, sleep } from "../helpers/api";
import { createCampaign } from "../helpers/campaigns";
import { readCsv } from "../helpers/csv";
import { expectApiError } from "../helpers/security";
import { createVoucher, flushedRead, order, redeemOk, rollback } from "../helpers/vouchers";

const report = (token: string, query = "") => call("GET", `/v1/reports/redemptions${query}`, { token });
const rowsOf = (text: string) => {
  const [header, ...rows] = readCsv(text);
  return rows.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i]])));
};

describe("GET /v1/reports/redemptions", () => {
  it("one row per redemption and per rollback, in time order, with RFC 4180 quoting of free text", async () => {
    const { owner, admin } = await newTeam();
    const voucher = await createVoucher(admin.key, { discount: { type: "amount", amount_off: 250 }, currency: "EUR" });
    const first = await redeemOk(admin.key, voucher.code, { customer_id: "cus-1", order: order(1000) });
    const second = await redeemOk(admin.key, voucher.code, { customer_id: "cus-2", order: order(2000) });
    // A later millisecond than the second redemption, so the time order is well defined (rows of one millisecond
    // sort by redemption id, and the rollback's is the first redemption's).
    await sleep(5);
    const reason = 'customer said "no", twice\nthen left';
    expect((await rollback(admin.key, voucher.code, { redemption_id: first.id, reason })).status).toBe(200);

    const res = await flushedRead([{ teamId: owner.teamId, code: voucher.code }], () => report(admin.key), (r) => rowsOf(String(r.body)).length >= 3);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^text\/csv/);
    const text = String(res.body);
    expect(text.startsWith("event,at,redemption_id,voucher_id,code,campaign_id,customer_id,order_id,order_amount,discount_amount,currency,redeemed_at,rollback_reason\r\n")).toBe(true);
    expect(text).toContain('"customer said ""no"", twice\nthen left"');
    const rows = rowsOf(text);
    expect(rows.map((r) => [r.event, r.redemption_id])).toEqual([
      ["redemption", first.id],
      ["redemption", second.id],
      ["rollback", first.id],
    ]);
    expect(rows[0]).toMatchObject({ customer_id: "cus-1", order_amount: "1000", discount_amount: "250", currency: "EUR", code: voucher.code });
    expect(rows[2]).toMatchObject({ discount_amount: "-250", rollback_reason: reason });
    // The discount column sums to what still stands.
    expect(rows.reduce((sum, r) => sum + Number(r.discount_amount), 0)).toBe(250);
  });

  it("honours from, to and campaign_id", async () => {
    const { owner, admin } = await newTeam();
    const campaign = await createCampaign(admin.key);
    const inCampaign = await call("POST", "/v1/vouchers", { token: admin.key, body: { campaign_id: campaign.id } });
    const outside = await createVoucher(admin.key);
    const a = await redeemOk(admin.key, inCampaign.body.code, { order: order() });
    const b = await redeemOk(admin.key, outside.code, { order: order() });
    const objects = [
      { teamId: owner.teamId, code: inCampaign.body.code },
      { teamId: owner.teamId, code: outside.code },
    ];
    const all = await flushedRead(objects, () => report(admin.key), (r) => rowsOf(String(r.body)).length >= 2);
    expect(rowsOf(String(all.body)).map((r) => r.redemption_id).sort()).toEqual([a.id, b.id].sort());

    const onlyCampaign = rowsOf(String((await report(admin.key, `?campaign_id=${campaign.id}`)).body));
    expect(onlyCampaign.map((r) => r.redemption_id)).toEqual([a.id]);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect(rowsOf(String((await report(admin.key, `?from=${future}`)).body))).toEqual([]);
    const past = new Date(Date.now() - 3_600_000).toISOString();
    expect(rowsOf(String((await report(admin.key, `?from=${past}&to=${future}`)).body))).toHaveLength(2);
    expect(rowsOf(String((await report(admin.key, `?to=${past}`)).body))).toEqual([]);
    expectApiError(await report(admin.key, `?from=${future}&to=${past}`), 400, "invalid_request");
    expectApiError(await report(admin.key, "?from=yesterday"), 400, "invalid_request");
  });

  it("is the team's own: another team's report is empty, its campaign is 404; read:analytics is needed", async () => {
    const { owner, admin } = await newTeam();
    const campaign = await createCampaign(admin.key);
    const voucher = await createVoucher(admin.key);
    await redeemOk(admin.key, voucher.code, { order: order() });
    await flushedRead([{ teamId: owner.teamId, code: voucher.code }], () => report(admin.key), (r) => rowsOf(String(r.body)).length >= 1);
    const other = await newTeam();
    expect(rowsOf(String((await report(other.admin.key)).body))).toEqual([]);
    expectApiError(await report(other.admin.key, `?campaign_id=${campaign.id}`), 404, "not_found");
    const noAnalytics = await createKey(owner.accessToken, { name: "vouchers only", scopes: ["read:vouchers"] });
    expectApiError(await report(noAnalytics.key), 403, "insufficient_scope");
  });
});
