// Codes that exist nowhere. A voucher's object is named by its team and code, so any caller with a key — a
// publishable key is public, in every storefront's page — can make the API address an object for any string. An
// object that creates its tables has storage from then on (about 80 KiB here), so a guesser could have made one
// per attempt, for ever. Now a new object creates its tables only once it has a voucher to keep.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, createKey, newTeam } from "../helpers/api";
import { createCampaign, parseCsv, waitForJob } from "../helpers/campaigns";
import { createVoucher, order, voucherObject } from "../helpers/vouchers";

/** The object's own tables, read without creating anything. */
const storageOf = (teamId: string, code: string) =>
  runInDurableObject(voucherObject(teamId, code), (_instance, state) => ({
    tables: state.storage.sql
      .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
      .toArray()
      .map((t) => t.name),
  }));

const unknownCode = () => `NOPE-${crypto.randomUUID().slice(0, 8).toUpperCase()}`;

describe("a code that exists nowhere leaves its object without storage", () => {
  it("validate (secret and publishable keys), redeem, reserve, rollback, reservation reads and voucher reads of an unknown code: 404, and no tables", async () => {
    const { owner, admin } = await newTeam();
    const publishable = await createKey(owner.accessToken, { name: "storefront", type: "publishable", allowed_origins: ["https://shop.example"] });
    const tried: string[] = [];
    const attempts: [string, () => Promise<{ status: number }>][] = [
      ["validate", () => call("POST", `/v1/vouchers/${tried[0]}/validate`, { token: admin.key, body: { order: order() } })],
      ["validate, publishable", () => call("POST", `/v1/vouchers/${tried[1]}/validate`, { token: publishable.key, headers: { Origin: "https://shop.example" }, body: { order: order() } })],
      ["redeem", () => call("POST", `/v1/vouchers/${tried[2]}/redeem`, { token: admin.key, body: { order: order() } })],
      ["reserve", () => call("POST", `/v1/vouchers/${tried[3]}/reserve`, { token: admin.key, body: { order: order() } })],
      ["rollback", () => call("POST", `/v1/vouchers/${tried[4]}/rollback`, { token: admin.key, body: { redemption_id: "red_none" } })],
      ["reservation", () => call("GET", `/v1/vouchers/${tried[5]}/reservations/rsv_none`, { token: admin.key })],
      ["voucher", () => call("GET", `/v1/vouchers/${tried[6]}`, { token: admin.key })],
    ];
    for (let i = 0; i < attempts.length; i++) tried.push(unknownCode());
    for (const [name, attempt] of attempts) expect((await attempt()).status, name).toBe(404);
    for (const code of tried) expect(await storageOf(owner.teamId, code), code).toEqual({ tables: [] });
  });

  it("a code tried before its voucher is created: the voucher then works as any other, and its object keeps it", async () => {
    const { owner, admin } = await newTeam();
    const code = unknownCode();
    expect((await call("POST", `/v1/vouchers/${code}/validate`, { token: admin.key, body: { order: order() } })).status).toBe(404);
    expect((await call("POST", `/v1/vouchers/${code}/redeem`, { token: admin.key, body: { order: order() } })).status).toBe(404);
    expect((await storageOf(owner.teamId, code)).tables).toEqual([]);

    await createVoucher(admin.key, { code, redemption_limit: 1 });
    const valid = await call("POST", `/v1/vouchers/${code}/validate`, { token: admin.key, body: { order: order() } });
    expect(valid.body).toMatchObject({ valid: true });
    expect((await call("POST", `/v1/vouchers/${code}/redeem`, { token: admin.key, body: { order: order() } })).status).toBe(201);
    const spent = await call("POST", `/v1/vouchers/${code}/redeem`, { token: admin.key, body: { order: order() } });
    expect(spent.body).toMatchObject({ error: "redemption_limit_reached" });
    expect((await storageOf(owner.teamId, code)).tables).toEqual(expect.arrayContaining(["definition", "counters", "redemptions", "outbox"]));
  });

  it("bulk codes, whose objects are never installed: a code's first redemption loads it from D1, and its object keeps it", async () => {
    const { owner, admin } = await newTeam();
    const campaign = await createCampaign(admin.key);
    const bulk = await call("POST", "/v1/vouchers/bulk", { token: admin.key, body: { campaign_id: campaign.id, count: 2 } });
    expect(bulk.status, JSON.stringify(bulk.body)).toBe(202);
    expect((await waitForJob(admin.key, bulk.body.id)).status).toBe("completed");
    const [code] = parseCsv((await call("GET", `/v1/jobs/${bulk.body.id}/codes`, { token: admin.key })).body as string)
      .slice(1)
      .map((row) => row[0]!);
    expect((await storageOf(owner.teamId, code!)).tables).toEqual([]);
    const res = await call("POST", `/v1/vouchers/${code}/redeem`, { token: admin.key, body: { order: order() } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect((await storageOf(owner.teamId, code!)).tables).toEqual(expect.arrayContaining(["definition", "redemptions"]));
  });
});
