// Campaigns through the public API: create (and its dry-run), validation, list by status with cursors, live
// stats, patch, pause/resume, tenant isolation, and what a campaign voucher inherits.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { type Answer, call, createKey, expectError, newTeam } from "../helpers/api";
import { campaignStats, campaignVouchers, createCampaign } from "../helpers/campaigns";
import { flushedRead, order, redeemOk, validate } from "../helpers/vouchers";
import { heldD1, sendWithD1 } from "../helpers/held-d1";
import { teamEvents } from "../helpers/webhooks";

const DRY_RUN = { "Vauchflow-Dry-Run": "true" };
const hour = 60 * 60 * 1000;
const at = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString().replace(/\.\d{3}Z$/, "Z");

const campaignRows = async (teamId: string) =>
  (await env.DB.prepare("SELECT count(*) AS n FROM campaigns WHERE team_id = ?").bind(teamId).first<{ n: number }>())?.n ?? -1;

describe("POST /v1/campaigns", () => {
  it("creates a campaign: 201 with the contract's shape, default code pattern, status active", async () => {
    const { admin } = await newTeam();
    const body = {
      name: "Black Friday",
      discount: { type: "percent", percent_off: 20, max_discount_amount: 5000 },
      currency: "eur",
      rules: { min_order_amount: 2000 },
      redemption_limit_per_voucher: 1,
      per_customer_limit: 2,
      budget_cap: { amount: 1_000_000 },
      metadata: { channel: "email" },
    };
    const res = await call("POST", "/v1/campaigns", { token: admin.key, body });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const c = res.body;
    expect(c.id).toMatch(/^cmp_[0-9A-Z]{26}$/);
    expect(c).toMatchObject({
      object: "campaign",
      name: "Black Friday",
      status: "active",
      type: "discount",
      discount: { type: "percent", percent_off: 20, max_discount_amount: 5000 },
      gift_card: null,
      currency: "EUR",
      redemption_limit_per_voucher: 1,
      per_customer_limit: 2,
      budget_cap: { amount: 1_000_000 },
      starts_at: null,
      ends_at: null,
      code_pattern: { prefix: "", suffix: "", length: 8, charset: "unambiguous" },
      metadata: { channel: "email" },
    });
    expect(c.rules).toMatchObject({ min_order_amount: 2000 });
    expect(c.dry_run).toBeUndefined();
    expect(Date.parse(c.created_at)).not.toBeNaN();

    const got = await call("GET", `/v1/campaigns/${c.id}`, { token: admin.key });
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ id: c.id, name: "Black Friday", status: "active", budget_cap: { amount: 1_000_000 } });
  });

  it("dry-run: the same status and body with dry_run true and id null; nothing is persisted", async () => {
    const { owner, admin } = await newTeam();
    const body = { name: "Preview", discount: { type: "amount", amount_off: 500 }, currency: "EUR", code_pattern: { prefix: "pv-", length: 6 } };
    const preview = await call("POST", "/v1/campaigns", { token: admin.key, body, headers: DRY_RUN });
    expect(preview.status, JSON.stringify(preview.body)).toBe(201);
    expect(preview.body.dry_run).toBe(true);
    expect(preview.body.id).toBeNull();
    expect(preview.body).toMatchObject({
      object: "campaign",
      name: "Preview",
      status: "active",
      discount: { type: "amount", amount_off: 500 },
      currency: "EUR",
      code_pattern: { prefix: "PV-", suffix: "", length: 6, charset: "unambiguous" },
    });

    const list = await call("GET", "/v1/campaigns", { token: admin.key });
    expect(list.status).toBe(200);
    expect(list.body).toEqual({ data: [], has_more: false, next_cursor: null });
    expect(await campaignRows(owner.teamId)).toBe(0);

    // The real call answers the same, with an id.
    const real = await call("POST", "/v1/campaigns", { token: admin.key, body });
    expect(real.status).toBe(201);
    const { id: _a, created_at: _b, updated_at: _c, dry_run: _d, ...previewRest } = preview.body;
    const { id: _e, created_at: _f, updated_at: _g, ...realRest } = real.body;
    expect(realRest).toEqual(previewRest);
    expect(await campaignRows(owner.teamId)).toBe(1);
  });

  it("rejects invalid bodies with 400 invalid_request and details naming the field", async () => {
    const { owner, admin } = await newTeam();
    const cases: { body: Record<string, unknown>; path: string }[] = [
      { body: { discount: { type: "percent", percent_off: 10 } }, path: "name" },
      { body: { name: "x", discount: { type: "percent", percent_off: 150 } }, path: "discount.percent_off" },
      { body: { name: "x" }, path: "discount" },
      { body: { name: "x", discount: { type: "amount", amount_off: 500 } }, path: "currency" },
      { body: { name: "x", discount: { type: "percent", percent_off: 10 }, budget_cap: { amount: 1000 } }, path: "currency" },
      { body: { name: "x", discount: { type: "percent", percent_off: 10 }, budget_cap: { amount: 0 }, currency: "EUR" }, path: "budget_cap.amount" },
      { body: { name: "x", discount: { type: "percent", percent_off: 10 }, starts_at: at(2 * hour), ends_at: at(hour) }, path: "ends_at" },
      { body: { name: "x", discount: { type: "percent", percent_off: 10 }, ends_at: "tomorrow" }, path: "ends_at" },
      { body: { name: "x", discount: { type: "percent", percent_off: 10 }, code_pattern: { charset: "custom" } }, path: "code_pattern.characters" },
      { body: { name: "x", discount: { type: "percent", percent_off: 10 }, code_pattern: { charset: "emoji" } }, path: "code_pattern.charset" },
      { body: { name: "x", discount: { type: "percent", percent_off: 10 }, code_pattern: { length: 0 } }, path: "code_pattern.length" },
      { body: { name: "x", discount: { type: "percent", percent_off: 10 }, code_pattern: { prefix: "A B" } }, path: "code_pattern.prefix" },
      { body: { name: "x", discount: { type: "percent", percent_off: 10 }, redemption_limit_per_voucher: 0 }, path: "redemption_limit_per_voucher" },
      { body: { name: "x", discount: { type: "percent", percent_off: 10 }, colour: "red" }, path: "colour" },
    ];
    for (const { body, path } of cases) {
      const res = await call("POST", "/v1/campaigns", { token: admin.key, body });
      expectError(res, 400, "invalid_request");
      const paths = (res.body.details ?? []).map((d: { path: string }) => d.path);
      expect(paths, `${JSON.stringify(body)} → ${JSON.stringify(res.body)}`).toContain(path);
    }
    const malformed = await call("POST", "/v1/campaigns", { token: admin.key, rawBody: "{not json" });
    expect(malformed.status).toBe(400);
    expect(await campaignRows(owner.teamId)).toBe(0);
  });
});

describe("GET /v1/campaigns", () => {
  it("filters by status (active, paused, scheduled, ended) and pages with cursors, newest first", async () => {
    const { admin } = await newTeam();
    const active: string[] = [];
    for (let i = 0; i < 5; i++) active.push((await createCampaign(admin.key, { name: `active ${i}` })).id);
    const paused = (await createCampaign(admin.key, { name: "paused" })).id;
    const pausing = await call("POST", `/v1/campaigns/${paused}/pause`, { token: admin.key, body: { paused: true } });
    expect(pausing.status).toBe(200);
    const scheduled = (await createCampaign(admin.key, { name: "scheduled", starts_at: at(24 * hour) })).id;
    const ended = (await createCampaign(admin.key, { name: "ended", starts_at: at(-48 * hour), ends_at: at(-24 * hour) })).id;
    const runningWindow = (await createCampaign(admin.key, { name: "in window", starts_at: at(-hour), ends_at: at(hour) })).id;
    active.push(runningWindow);

    const listAll = async (query: string) => {
      const ids: string[] = [];
      const pages: any[] = [];
      let cursor: string | null = null;
      for (let i = 0; i < 20; i++) {
        const res: Answer = await call("GET", `/v1/campaigns?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, { token: admin.key });
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        pages.push(res.body);
        ids.push(...res.body.data.map((c: { id: string }) => c.id));
        cursor = res.body.next_cursor;
        if (!res.body.has_more) break;
      }
      return { ids, pages };
    };

    const activeList = await listAll("status=active&limit=2");
    expect(activeList.pages.map((p) => p.data.length)).toEqual([2, 2, 2]);
    expect(activeList.pages.map((p) => p.has_more)).toEqual([true, true, false]);
    expect(activeList.pages[0].next_cursor).toEqual(expect.any(String));
    expect(activeList.pages[2].next_cursor).toBeNull();
    expect(activeList.ids).toEqual([...active].reverse());
    for (const p of activeList.pages) for (const c of p.data) expect(c.status).toBe("active");

    const one = async (status: string) => {
      const res = await call("GET", `/v1/campaigns?status=${status}`, { token: admin.key });
      expect(res.status).toBe(200);
      return res.body.data as { id: string; status: string }[];
    };
    expect((await one("paused")).map((c) => [c.id, c.status])).toEqual([[paused, "paused"]]);
    expect((await one("scheduled")).map((c) => [c.id, c.status])).toEqual([[scheduled, "scheduled"]]);
    expect((await one("ended")).map((c) => [c.id, c.status])).toEqual([[ended, "ended"]]);

    const everything = await listAll("limit=3");
    expect(everything.ids).toHaveLength(9);
    expect(new Set(everything.ids).size).toBe(9);
    expect(everything.ids).toEqual([...everything.ids].sort().reverse());

    const bad = await call("GET", "/v1/campaigns?status=sleeping", { token: admin.key });
    expectError(bad, 400, "invalid_request");
    const tooMany = await call("GET", "/v1/campaigns?limit=101", { token: admin.key });
    expectError(tooMany, 400, "invalid_request");
  });
});

describe("GET /v1/campaigns/{id}", () => {
  it("answers the campaign with live stats from the ledger and D1", async () => {
    const { owner, admin } = await newTeam();
    const token = (await createKey(owner.accessToken, { rate_limit_per_minute: 10_000 })).key;
    const campaign = await createCampaign(token, { discount: { type: "amount", amount_off: 1000 }, currency: "EUR", budget_cap: { amount: 5000 } });
    const fresh = await call("GET", `/v1/campaigns/${campaign.id}`, { token });
    expect(fresh.status).toBe(200);
    expect(fresh.body).toMatchObject({ id: campaign.id, object: "campaign", name: "Campaign", status: "active" });
    expect(fresh.body.stats).toEqual({ vouchers_count: 0, vouchers_redeemed_count: 0, redemptions_count: 0, discount_total: 0, budget_remaining: 5000 });

    const codes = await campaignVouchers(token, campaign.id, 3);
    await redeemOk(token, codes[0]!, { order: order(5000) });
    await redeemOk(token, codes[0]!, { order: order(5000) });
    await redeemOk(token, codes[1]!, { order: order(5000) });

    const stats = await flushedRead(
      codes.map((code) => ({ teamId: owner.teamId, code })),
      () => campaignStats(token, campaign.id),
      (s) => s.vouchers_redeemed_count === 2,
    );
    expect(stats).toEqual({ vouchers_count: 3, vouchers_redeemed_count: 2, redemptions_count: 3, discount_total: 3000, budget_remaining: 2000 });

    const uncapped = await createCampaign(token);
    expect((await campaignStats(token, uncapped.id)).budget_remaining).toBeNull();

    expectError(await call("GET", "/v1/campaigns/cmp_00000000000000000000000000", { token }), 404, "not_found");
  });
});

describe("PATCH /v1/campaigns/{id}", () => {
  it("changes name, ends_at and budget_cap", async () => {
    const { admin } = await newTeam();
    const campaign = await createCampaign(admin.key, { currency: "EUR", budget_cap: { amount: 10_000 } });
    const endsAt = at(48 * hour);
    const res = await call("PATCH", `/v1/campaigns/${campaign.id}`, { token: admin.key, body: { name: "Renamed", ends_at: endsAt, budget_cap: { amount: 7000 } } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ id: campaign.id, name: "Renamed", ends_at: endsAt, budget_cap: { amount: 7000 }, status: "active" });

    const got = await call("GET", `/v1/campaigns/${campaign.id}`, { token: admin.key });
    expect(got.body).toMatchObject({ name: "Renamed", ends_at: endsAt, budget_cap: { amount: 7000 } });
    expect(got.body.stats.budget_remaining).toBe(7000);

    const cleared = await call("PATCH", `/v1/campaigns/${campaign.id}`, { token: admin.key, body: { ends_at: null, budget_cap: null } });
    expect(cleared.status).toBe(200);
    expect(cleared.body).toMatchObject({ name: "Renamed", ends_at: null, budget_cap: null });
    expect((await campaignStats(admin.key, campaign.id)).budget_remaining).toBeNull();
  });

  it("refuses other fields with 422 unsupported_field and changes nothing", async () => {
    const { admin } = await newTeam();
    const campaign = await createCampaign(admin.key);
    for (const body of [
      { discount: { type: "percent", percent_off: 50 } },
      { name: "Sneaky", per_customer_limit: 5 },
      { code_pattern: { prefix: "X" } },
      { starts_at: at(hour) },
    ]) {
      const res = await call("PATCH", `/v1/campaigns/${campaign.id}`, { token: admin.key, body });
      expectError(res, 422, "unsupported_field");
      const refused = Object.keys(body).filter((k) => k !== "name");
      expect(res.body.details.map((d: { path: string }) => d.path)).toEqual(refused);
    }
    const got = await call("GET", `/v1/campaigns/${campaign.id}`, { token: admin.key });
    expect(got.body).toMatchObject({ name: "Campaign", discount: { type: "percent", percent_off: 10 }, per_customer_limit: null, starts_at: null });
  });

  it("validates the patch: bad values → 400 with details; ends_at must stay after starts_at", async () => {
    const { admin } = await newTeam();
    const campaign = await createCampaign(admin.key, { starts_at: at(-hour), ends_at: at(hour) });
    const cases: { body: Record<string, unknown>; path: string }[] = [
      { body: { name: "" }, path: "name" },
      { body: { name: 42 }, path: "name" },
      { body: { ends_at: "next week" }, path: "ends_at" },
      { body: { budget_cap: { amount: 0 } }, path: "budget_cap.amount" },
      { body: { ends_at: at(-2 * hour) }, path: "ends_at" },
    ];
    for (const { body, path } of cases) {
      const res = await call("PATCH", `/v1/campaigns/${campaign.id}`, { token: admin.key, body });
      expectError(res, 400, "invalid_request");
      expect(res.body.details.map((d: { path: string }) => d.path), JSON.stringify(res.body)).toContain(path);
    }
    const got = await call("GET", `/v1/campaigns/${campaign.id}`, { token: admin.key });
    expect(got.body).toMatchObject({ name: "Campaign", ends_at: campaign.ends_at, budget_cap: null, status: "active" });
    expectError(await call("PATCH", "/v1/campaigns/cmp_00000000000000000000000000", { token: admin.key, body: { name: "x" } }), 404, "not_found");
  });

  it("dry-run previews the change and changes nothing, neither in D1 nor in the campaign's object", async () => {
    const { owner, admin } = await newTeam();
    const token = (await createKey(owner.accessToken, { rate_limit_per_minute: 10_000 })).key;
    const campaign = await createCampaign(token, { discount: { type: "amount", amount_off: 1000 }, currency: "EUR", budget_cap: { amount: 10_000 } });
    const [code] = await campaignVouchers(token, campaign.id, 1);
    const endsAt = at(-hour);
    const preview = await call("PATCH", `/v1/campaigns/${campaign.id}`, {
      token,
      body: { name: "Preview", ends_at: endsAt, budget_cap: { amount: 500 } },
      headers: DRY_RUN,
    });
    expect(preview.status, JSON.stringify(preview.body)).toBe(200);
    expect(preview.body).toMatchObject({ id: null, dry_run: true, name: "Preview", ends_at: endsAt, budget_cap: { amount: 500 }, status: "ended" });

    const got = await call("GET", `/v1/campaigns/${campaign.id}`, { token });
    expect(got.body).toMatchObject({ name: "Campaign", ends_at: null, budget_cap: { amount: 10_000 }, status: "active" });
    expect(got.body.stats.budget_remaining).toBe(10_000);
    // The ledger still has the old end date and cap: a 1000 discount still goes through.
    const check = await validate(token, code!, { order: order(5000) });
    expect(check.body).toMatchObject({ valid: true, discount_amount: 1000 });
    await redeemOk(token, code!, { order: order(5000) });

    const refused = await call("PATCH", `/v1/campaigns/${campaign.id}`, { token, body: { discount: { type: "free_shipping" } }, headers: DRY_RUN });
    expectError(refused, 422, "unsupported_field");
  });
  it("concurrent PATCHes of different fields all land, in D1 and in the budget the campaign's object enforces", async () => {
    const { admin } = await newTeam();
    for (let round = 0; round < 3; round++) {
      const campaign = await createCampaign(admin.key, { currency: "EUR", budget_cap: { amount: 10_000 } });
      const endsAt = at(48 * hour);
      const answers = await Promise.all([
        call("PATCH", `/v1/campaigns/${campaign.id}`, { token: admin.key, body: { budget_cap: { amount: 500 } } }),
        call("PATCH", `/v1/campaigns/${campaign.id}`, { token: admin.key, body: { name: "Renamed" } }),
        call("PATCH", `/v1/campaigns/${campaign.id}`, { token: admin.key, body: { ends_at: endsAt } }),
      ]);
      for (const a of answers) expect(a.status, JSON.stringify(a.body)).toBe(200);
      const got = await call("GET", `/v1/campaigns/${campaign.id}`, { token: admin.key });
      expect(got.body).toMatchObject({ name: "Renamed", ends_at: endsAt, budget_cap: { amount: 500 } });
      // A rename that read the old cap must not have handed it back to the object that enforces it.
      expect(got.body.stats.budget_remaining).toBe(500);
    }
  });
});

describe("POST /v1/campaigns/{id}/pause", () => {
  it("pauses and resumes: {paused:true} → paused, {paused:false} → active", async () => {
    const { admin } = await newTeam();
    const campaign = await createCampaign(admin.key);
    const paused = await call("POST", `/v1/campaigns/${campaign.id}/pause`, { token: admin.key, body: { paused: true } });
    expect(paused.status, JSON.stringify(paused.body)).toBe(200);
    expect(paused.body).toMatchObject({ id: campaign.id, object: "campaign", status: "paused" });
    expect((await call("GET", `/v1/campaigns/${campaign.id}`, { token: admin.key })).body.status).toBe("paused");

    const resumed = await call("POST", `/v1/campaigns/${campaign.id}/pause`, { token: admin.key, body: { paused: false } });
    expect(resumed.status).toBe(200);
    expect(resumed.body.status).toBe("active");
    expect((await call("GET", `/v1/campaigns/${campaign.id}`, { token: admin.key })).body.status).toBe("active");

    // Pause has no preview: the header is refused and nothing changes.
    const dry = await call("POST", `/v1/campaigns/${campaign.id}/pause`, { token: admin.key, body: { paused: true }, headers: DRY_RUN });
    expectError(dry, 400, "dry_run_not_supported");
    expect((await call("GET", `/v1/campaigns/${campaign.id}`, { token: admin.key })).body.status).toBe("active");

    expectError(await call("POST", `/v1/campaigns/${campaign.id}/pause`, { token: admin.key, body: {} }), 400, "invalid_request");
    expectError(await call("POST", `/v1/campaigns/${campaign.id}/pause`, { token: admin.key, body: { paused: "yes" } }), 400, "invalid_request");
    expectError(await call("POST", "/v1/campaigns/cmp_00000000000000000000000000/pause", { token: admin.key, body: { paused: true } }), 404, "not_found");
  });
});

describe("the campaign object and D1's copy of it", () => {
  it("a pause whose D1 write lands after a later resume's: D1 keeps the resume (the object's state), and each change sends its one event", async () => {
    const team = await newTeam();
    const { admin } = team;
    const campaign = await createCampaign(admin.key);
    // The pause's D1 write is held until the resume has answered.
    const held = heldD1({ batch: true });
    const pausing = sendWithD1(held.db, "POST", `/v1/campaigns/${campaign.id}/pause`, { token: admin.key, body: { paused: true } });
    await held.atD1;
    const resumed = await call("POST", `/v1/campaigns/${campaign.id}/pause`, { token: admin.key, body: { paused: false } });
    expect(resumed.body.status).toBe("active");
    held.release();
    expect((await pausing.answer).status).toBe(200);
    await pausing.settled;

    // The object took the pause, then the resume: the campaign is active, in the object and in D1.
    expect((await call("GET", `/v1/campaigns/${campaign.id}`, { token: admin.key })).body.status).toBe("active");
    const listed = await call("GET", "/v1/campaigns?status=paused", { token: admin.key });
    expect(listed.body.data.map((c: { id: string }) => c.id)).not.toContain(campaign.id);
    const voucher = (await campaignVouchers(admin.key, campaign.id, 1))[0]!;
    expect((await validate(admin.key, voucher, { order: order(5000) })).body).toMatchObject({ valid: true });
    // Both changes happened, so both events are sent, once each; pausing again changes nothing and sends nothing.
    expect((await call("POST", `/v1/campaigns/${campaign.id}/pause`, { token: admin.key, body: { paused: false } })).status).toBe(200);
    const types = (await teamEvents(team.owner.teamId)).map((e) => e.type).filter((t) => t.startsWith("campaign."));
    expect(types.sort()).toEqual(["campaign.created", "campaign.paused", "campaign.resumed"]);
  });
});

describe("scopes", () => {
  it("a read-only key lists and gets campaigns but cannot create, patch or pause them", async () => {
    const { admin } = await newTeam();
    const campaign = await createCampaign(admin.key);
    const reader = (await createKey(admin.key, { name: "reader", scopes: ["read"] })).key;
    expect((await call("GET", "/v1/campaigns", { token: reader })).status).toBe(200);
    expect((await call("GET", `/v1/campaigns/${campaign.id}`, { token: reader })).status).toBe(200);
    expectError(await call("POST", "/v1/campaigns", { token: reader, body: { name: "x", discount: { type: "percent", percent_off: 5 } } }), 403, "insufficient_scope");
    expectError(await call("PATCH", `/v1/campaigns/${campaign.id}`, { token: reader, body: { name: "x" } }), 403, "insufficient_scope");
    expectError(await call("POST", `/v1/campaigns/${campaign.id}/pause`, { token: reader, body: { paused: true } }), 403, "insufficient_scope");
    const vouchersOnly = (await createKey(admin.key, { name: "vouchers", scopes: ["read:vouchers", "write:vouchers"] })).key;
    expectError(await call("GET", "/v1/campaigns", { token: vouchersOnly }), 403, "insufficient_scope");
    const got = await call("GET", `/v1/campaigns/${campaign.id}`, { token: admin.key });
    expect(got.body).toMatchObject({ name: "Campaign", status: "active" });
  });
});

describe("tenant isolation", () => {
  it("another team's campaign is 404 on get, patch and pause, and cannot receive its vouchers or bulk jobs", async () => {
    const a = await newTeam();
    const b = await newTeam();
    const campaign = await createCampaign(a.admin.key, { name: "A's campaign" });
    const path = `/v1/campaigns/${campaign.id}`;

    expectError(await call("GET", path, { token: b.admin.key }), 404, "not_found");
    expectError(await call("PATCH", path, { token: b.admin.key, body: { name: "Taken over" } }), 404, "not_found");
    expectError(await call("POST", `${path}/pause`, { token: b.admin.key, body: { paused: true } }), 404, "not_found");
    expectError(await call("POST", "/v1/vouchers", { token: b.admin.key, body: { campaign_id: campaign.id } }), 404, "not_found");
    expectError(
      await call("POST", "/v1/vouchers", { token: b.admin.key, body: { campaign_id: campaign.id, discount: { type: "percent", percent_off: 5 } } }),
      404,
      "not_found",
    );
    expectError(await call("POST", "/v1/vouchers/bulk", { token: b.admin.key, body: { campaign_id: campaign.id, count: 10 } }), 404, "not_found");
    expect((await call("GET", "/v1/campaigns", { token: b.admin.key })).body.data).toEqual([]);

    const got = await call("GET", path, { token: a.admin.key });
    expect(got.body).toMatchObject({ name: "A's campaign", status: "active" });
    expect(got.body.stats.vouchers_count).toBe(0);
    const jobs = await env.DB.prepare("SELECT count(*) AS n FROM bulk_jobs WHERE campaign_id = ?").bind(campaign.id).first<{ n: number }>();
    expect(jobs?.n).toBe(0);
    const vouchers = await env.DB.prepare("SELECT count(*) AS n FROM vouchers WHERE campaign_id = ?").bind(campaign.id).first<{ n: number }>();
    expect(vouchers?.n).toBe(0);
  });
});

describe("campaign vouchers inherit", () => {
  it("a voucher with only campaign_id takes the campaign's discount, currency, rules, per-voucher limit and code pattern", async () => {
    const { admin } = await newTeam();
    const campaign = await createCampaign(admin.key, {
      discount: { type: "percent", percent_off: 15, max_discount_amount: 2000 },
      currency: "EUR",
      rules: { min_order_amount: 3000, max_order_amount: 90_000, skus: ["tshirt-m"] },
      redemption_limit_per_voucher: 3,
      code_pattern: { prefix: "inh-", suffix: "-x", length: 10, charset: "numeric" },
    });
    const res = await call("POST", "/v1/vouchers", { token: admin.key, body: { campaign_id: campaign.id } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const v = res.body;
    expect(v).toMatchObject({
      campaign_id: campaign.id,
      type: "discount",
      discount: { type: "percent", percent_off: 15, max_discount_amount: 2000 },
      currency: "EUR",
      redemption_limit: 3,
    });
    expect(v.rules).toEqual(campaign.rules);
    expect(v.rules).toMatchObject({ min_order_amount: 3000, max_order_amount: 90_000, skus: ["TSHIRT-M"] });
    expect(v.code).toMatch(/^INH-[0-9]{10}-X$/);

    // The inherited rules apply on validate.
    const below = await validate(admin.key, v.code, { order: order(2000, { items: [{ sku: "TSHIRT-M", quantity: 1, unit_price: 2000 }] }) });
    expect(below.body).toMatchObject({ valid: false, reason: "order_below_minimum" });
    const ok = await validate(admin.key, v.code, {
      order: order(10_000, { items: [{ sku: "TSHIRT-M", quantity: 1, unit_price: 4000 }, { sku: "MUG", quantity: 1, unit_price: 6000 }] }),
    });
    expect(ok.body).toMatchObject({ valid: true, discount_amount: 600 });
    const wrongCurrency = await validate(admin.key, v.code, { order: { id: "o-usd", amount: 10_000, currency: "USD" } });
    expect(wrongCurrency.body).toMatchObject({ valid: false, reason: "currency_mismatch" });

    const stored = await call("GET", `/v1/vouchers/${v.code}`, { token: admin.key });
    expect(stored.body).toMatchObject({ discount: { type: "percent", percent_off: 15 }, currency: "EUR", redemption_limit: 3 });
  });

  it("a gift-card campaign's voucher inherits the card amount as its balance", async () => {
    const { admin } = await newTeam();
    const campaign = await createCampaign(admin.key, { type: "gift_card", discount: undefined, gift_card: { amount: 2500 }, currency: "EUR" });
    expect(campaign).toMatchObject({ type: "gift_card", gift_card: { amount: 2500 }, discount: null });
    const res = await call("POST", "/v1/vouchers", { token: admin.key, body: { campaign_id: campaign.id } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ type: "gift_card", gift_card: { amount: 2500, balance: 2500 }, discount: null, currency: "EUR" });
    const spent = await redeemOk(admin.key, res.body.code, { amount: 1000, order: order(4000) });
    expect(spent.discount_amount).toBe(1000);
    expect((await call("GET", `/v1/vouchers/${res.body.code}`, { token: admin.key })).body.gift_card).toEqual({ amount: 2500, balance: 1500 });
  });

  it("generated codes follow the pattern's prefix, suffix, length and charset", async () => {
    const { owner, admin } = await newTeam();
    const token = (await createKey(owner.accessToken, { rate_limit_per_minute: 10_000 })).key;
    const patterns = [
      { pattern: { prefix: "AL-", length: 12, charset: "alphabetic" }, re: /^AL-[A-Z]{12}$/ },
      { pattern: { suffix: "-N", length: 9, charset: "numeric" }, re: /^[0-9]{9}-N$/ },
      { pattern: { prefix: "C", length: 16, charset: "custom", characters: "xyz7" }, re: /^C[XYZ7]{16}$/ },
      { pattern: { prefix: "U_", length: 20 }, re: /^U_[ABCDEFGHJKMNPQRSTUVWXYZ2-9]{20}$/ },
    ];
    for (const { pattern, re } of patterns) {
      const campaign = await createCampaign(token, { code_pattern: pattern });
      const codes = await campaignVouchers(token, campaign.id, 20);
      expect(new Set(codes).size).toBe(20);
      for (const code of codes) expect(code, JSON.stringify(pattern)).toMatch(re);
    }
  });

  it("a scheduled campaign's vouchers are not valid before it starts", async () => {
    const { admin } = await newTeam();
    const startsAt = at(24 * hour);
    const campaign = await createCampaign(admin.key, { starts_at: startsAt });
    expect(campaign.status).toBe("scheduled");
    const res = await call("POST", "/v1/vouchers", { token: admin.key, body: { campaign_id: campaign.id } });
    expect(res.status).toBe(201);
    expect(res.body.starts_at).toBe(startsAt);
    expect((await validate(admin.key, res.body.code, { order: order(5000) })).body).toMatchObject({ valid: false, reason: "not_started" });
    // Even one that sets an earlier start of its own: the campaign has not started.
    const early = await call("POST", "/v1/vouchers", { token: admin.key, body: { campaign_id: campaign.id, starts_at: at(-hour) } });
    expect(early.status).toBe(201);
    expect((await validate(admin.key, early.body.code, { order: order(5000) })).body).toMatchObject({ valid: false, reason: "not_started" });
  });

  it("when the campaign's pattern has no free code left, creating a voucher without a code → 422 code_space_too_small, never 500", async () => {
    const { admin } = await newTeam();
    const campaign = await createCampaign(admin.key, { code_pattern: { prefix: "AB", length: 1, charset: "numeric" } });
    for (let i = 0; i < 10; i++) {
      const made = await call("POST", "/v1/vouchers", { token: admin.key, body: { campaign_id: campaign.id, code: `ab${i}` } });
      expect(made.status).toBe(201);
    }
    const res = await call("POST", "/v1/vouchers", { token: admin.key, body: { campaign_id: campaign.id } });
    expectError(res, 422, "code_space_too_small");
    expect((await campaignStats(admin.key, campaign.id)).vouchers_count).toBe(10);
  });

  it("a voucher that sets its own discount, limit or rules overrides the campaign's", async () => {
    const { admin } = await newTeam();
    const campaign = await createCampaign(admin.key, {
      discount: { type: "percent", percent_off: 15 },
      currency: "EUR",
      rules: { min_order_amount: 3000 },
      redemption_limit_per_voucher: 3,
    });
    const res = await call("POST", "/v1/vouchers", {
      token: admin.key,
      body: { campaign_id: campaign.id, code: "own-discount-1", discount: { type: "amount", amount_off: 700 }, redemption_limit: 10 },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({
      code: "OWN-DISCOUNT-1",
      campaign_id: campaign.id,
      discount: { type: "amount", amount_off: 700 },
      currency: "EUR",
      redemption_limit: 10,
    });
    expect(res.body.rules.min_order_amount).toBe(3000);
    const ok = await validate(admin.key, "OWN-DISCOUNT-1", { order: order(5000) });
    expect(ok.body).toMatchObject({ valid: true, discount_amount: 700 });

    const ownRules = await call("POST", "/v1/vouchers", { token: admin.key, body: { campaign_id: campaign.id, rules: { min_order_amount: 100 } } });
    expect(ownRules.status).toBe(201);
    expect(ownRules.body.rules.min_order_amount).toBe(100);
    expect(ownRules.body.discount).toEqual({ type: "percent", percent_off: 15 });
    const small = await validate(admin.key, ownRules.body.code, { order: order(1000) });
    expect(small.body).toMatchObject({ valid: true, discount_amount: 150 });
  });
});
