// API.md §7 erasure: DELETE /v1/customers/{id} leaves the id nowhere — history, reports, objects' storage, audit
// paths — while the redemptions stay under a pseudonym that limits keep counting; the id can be registered again.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, newTeam } from "../helpers/api";
import { createCampaign } from "../helpers/campaigns";
import { expectApiError } from "../helpers/security";
import { deliver, LEDGER, type Sent, standInQueue, withEnv } from "../helpers/ledger";
import { pollUntil } from "../helpers/poll";
import { createVoucher, flushedRead, objectStorageText, order, redeem, redeemOk, voucherObject } from "../helpers/vouchers";

/**
 * A registered customer's redemption that has left its voucher's object but not reached D1: the voucher's sends
 * are held back by a stand-in queue, which keeps the messages for the test to deliver.
 */
async function redemptionOnItsWay(prefix: string) {
  const { owner, admin } = await newTeam();
  const id = `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
  await call("POST", "/v1/customers", { token: admin.key, body: { id } });
  const voucher = await createVoucher(admin.key);
  const stub = voucherObject(owner.teamId, voucher.code);
  const sent: Sent = { messages: [], refused: 0, sends: 0 };
  await standInQueue(stub, sent);
  const redemption = await redeemOk(admin.key, voucher.code, { customer_id: id, order: order() });
  await pollUntil(async () => sent.messages.length, (n) => n > 0);
  return { owner, admin, id, stub, sent, redemption };
}

describe("DELETE /v1/customers/{id}", () => {
  it("erases the id everywhere, keeps the redemptions under a pseudonym, and lets the id start afresh", async () => {
    const { owner, admin } = await newTeam();
    const id = `erase-me-${crypto.randomUUID().slice(0, 8)}`;
    expect((await call("POST", "/v1/customers", { token: admin.key, body: { id, metadata: { email: "someone@example.com" } } })).status).toBe(201);
    const campaign = await createCampaign(admin.key, { per_customer_limit: 1 });
    const voucher = (await call("POST", "/v1/vouchers", { token: admin.key, body: { campaign_id: campaign.id, redemption_limit: 3 } })).body;
    const redemption = await redeemOk(admin.key, voucher.code, { customer_id: id, order: order() });
    await flushedRead([{ teamId: owner.teamId, code: voucher.code }], () => call("GET", `/v1/customers/${id}/redemptions`, { token: admin.key }), (r) => r.body?.data?.length === 1);

    const overviewBefore = await flushedRead(
      [{ teamId: owner.teamId, code: voucher.code }],
      () => call("GET", "/v1/analytics/overview", { token: admin.key }),
      (r) => r.body?.redemptions?.count === 1,
    );
    const erased = await call("DELETE", `/v1/customers/${id}`, { token: admin.key });
    expect(erased.status, JSON.stringify(erased.body)).toBe(204);
    // Analytics count the same after the erasure: the redemption stands, under its pseudonym.
    const overviewAfter = await call("GET", "/v1/analytics/overview", { token: admin.key });
    expect(overviewAfter.body.redemptions).toEqual(overviewBefore.body.redemptions);
    expect(overviewAfter.body.discount_total).toBe(overviewBefore.body.discount_total);
    expectApiError(await call("GET", `/v1/customers/${id}`, { token: admin.key }), 404, "not_found");
    expectApiError(await call("GET", `/v1/customers/${id}/export`, { token: admin.key }), 404, "not_found");
    expectApiError(await call("DELETE", `/v1/customers/${id}`, { token: admin.key }), 404, "not_found");

    // The redemption stays, under a pseudonym, in D1 and in the report.
    const row = await env.DB.prepare("SELECT customer_id FROM redemptions WHERE id = ?").bind(redemption.id).first<{ customer_id: string }>();
    expect(row?.customer_id).toMatch(/^erased_/);
    const report = await call("GET", "/v1/reports/redemptions", { token: admin.key });
    expect(String(report.body)).toContain(row!.customer_id);
    expect(String(report.body)).not.toContain(id);
    // Nowhere in D1's history, the audit log, or the objects' own storage.
    for (const [table, column] of [["redemptions", "customer_id"], ["customers", "id"], ["audit_log", "path"]] as const) {
      const hit = await env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE instr(${column}, ?) > 0`).bind(id).first<{ n: number }>();
      expect(hit?.n, `${table}.${column}`).toBe(0);
    }
    expect(await objectStorageText(voucherObject(owner.teamId, voucher.code))).not.toContain(id);
    expect(await objectStorageText(env.CAMPAIGNS.get(env.CAMPAIGNS.idFromName(campaign.id)))).not.toContain(id);

    // The voucher's total limit still counts the erased redemption; the id, registered again, is a new customer
    // whose campaign-wide limit of 1 starts afresh.
    const voucherNow = await call("GET", `/v1/vouchers/${voucher.code}`, { token: admin.key });
    expect(voucherNow.body.redemptions_count).toBe(1);
    expect((await call("POST", "/v1/customers", { token: admin.key, body: { id } })).status).toBe(201);
    const again = await redeem(admin.key, voucher.code, { customer_id: id, order: order() });
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    const third = await redeem(admin.key, voucher.code, { customer_id: id, order: order() });
    expect(third.status).toBe(409);
  });

  it("concurrent erasures of one customer: one runs (204, one pseudonym), the others find it gone (404), never 500", async () => {
    const { owner, admin } = await newTeam();
    const id = `twice-${crypto.randomUUID().slice(0, 8)}`;
    await call("POST", "/v1/customers", { token: admin.key, body: { id } });
    const voucher = await createVoucher(admin.key, { redemption_limit: 5 });
    await redeemOk(admin.key, voucher.code, { customer_id: id, order: order() });
    await flushedRead([{ teamId: owner.teamId, code: voucher.code }], () => call("GET", `/v1/customers/${id}/redemptions`, { token: admin.key }), (r) => r.body?.data?.length === 1);

    const answers = await Promise.all(Array.from({ length: 6 }, () => call("DELETE", `/v1/customers/${id}`, { token: admin.key })));
    expect(answers.map((a) => a.status).sort(), JSON.stringify(answers.map((a) => a.body))).toEqual([204, 404, 404, 404, 404, 404]);
    const erasures = await env.DB.prepare("SELECT pseudonym FROM customer_erasures WHERE team_id = ?").bind(owner.teamId).all<{ pseudonym: string }>();
    expect(erasures.results).toHaveLength(1);
    const row = await env.DB.prepare("SELECT customer_id FROM redemptions WHERE team_id = ?").bind(owner.teamId).first<{ customer_id: string }>();
    expect(row?.customer_id).toBe(erasures.results[0]!.pseudonym);

    // Registered again, the id is a new customer that can be erased in its turn.
    expect((await call("POST", "/v1/customers", { token: admin.key, body: { id } })).status).toBe(201);
    expect((await call("DELETE", `/v1/customers/${id}`, { token: admin.key })).status).toBe(204);
    expectApiError(await call("GET", `/v1/customers/${id}`, { token: admin.key }), 404, "not_found");
  });

  it("a velocity alert that named the customer names the pseudonym afterwards; other teams' alerts keep theirs", async () => {
    const mine = await newTeam();
    const theirs = await newTeam();
    const id = `fast-${crypto.randomUUID().slice(0, 8)}`;
    const alertsOf = async (team: Awaited<ReturnType<typeof newTeam>>) => {
      await call("PUT", "/v1/analytics/fraud/settings", { token: team.admin.key, body: { customer_velocity: { count: 2, window_seconds: 3600 } } });
      const codes: string[] = [];
      for (let i = 0; i < 3; i++) {
        const v = await createVoucher(team.admin.key);
        codes.push(v.code);
        await redeemOk(team.admin.key, v.code, { customer_id: id, order: order() });
      }
      const read = () => call("GET", "/v1/analytics/fraud", { token: team.admin.key });
      const listed = await flushedRead(codes.map((code) => ({ teamId: team.owner.teamId, code })), read, (r) => r.body?.data?.some((a: { type: string }) => a.type === "customer_velocity"));
      return listed.body.data.filter((a: { type: string }) => a.type === "customer_velocity") as { id: string; subject: string }[];
    };
    const [before] = await alertsOf(mine);
    const [theirsBefore] = await alertsOf(theirs);
    expect(before?.subject).toBe(id);
    // Redemptions made the customer known (the ledger registers the ids it sees): erasable without a profile call.
    expect((await call("DELETE", `/v1/customers/${id}`, { token: mine.admin.key })).status).toBe(204);

    const after = (await call("GET", "/v1/analytics/fraud", { token: mine.admin.key })).body.data.find((a: { id: string }) => a.id === before!.id);
    expect(after.subject).toMatch(/^erased_/);
    const pseudonym = await env.DB.prepare("SELECT customer_id FROM redemptions WHERE team_id = ? LIMIT 1").bind(mine.owner.teamId).first<{ customer_id: string }>();
    expect(after.subject).toBe(pseudonym?.customer_id);
    const left = await env.DB.prepare("SELECT count(*) AS n FROM fraud_alerts WHERE team_id = ? AND subject = ?").bind(mine.owner.teamId, id).first<{ n: number }>();
    expect(left?.n).toBe(0);
    const untouched = (await call("GET", "/v1/analytics/fraud", { token: theirs.admin.key })).body.data.find((a: { id: string }) => a.id === theirsBefore!.id);
    expect(untouched.subject).toBe(id);
  });

  it("rewrites the audit paths of the erased id only: _ and % in an id are not wildcards", async () => {
    const { admin } = await newTeam();
    const suffix = crypto.randomUUID().slice(0, 8);
    const id = `w_${suffix}`;
    const lookalike = `wx${suffix}`;
    for (const customer of [id, lookalike]) expect((await call("POST", "/v1/customers", { token: admin.key, body: { id: customer } })).status).toBe(201);
    // A refused request is audited with its path: here one that names the look-alike.
    const narrow = (await call("POST", "/v1/api-keys", { token: admin.key, body: { name: "vouchers only", type: "secret", scopes: ["read:vouchers"] } })).body.key;
    const refused = await call("GET", `/v1/customers/${lookalike}/redemptions`, { token: narrow });
    expect(refused.status).toBe(403);
    const entry = () => env.DB.prepare("SELECT path FROM audit_log WHERE request_id = ?").bind(refused.headers.get("Request-Id")).first<{ path: string }>();
    await pollUntil(entry, (row) => row !== null, { intervalMs: 100 });
    expect((await call("DELETE", `/v1/customers/${id}`, { token: admin.key })).status).toBe(204);
    expect(await entry()).toEqual({ path: `/v1/customers/${lookalike}/redemptions` });
  });

  it("only its own team's customer; needs write:customers; an agent's erasure waits for approval", async () => {
    const { owner, admin } = await newTeam();
    const id = `keep-${crypto.randomUUID().slice(0, 8)}`;
    await call("POST", "/v1/customers", { token: admin.key, body: { id } });
    const other = await newTeam();
    expectApiError(await call("DELETE", `/v1/customers/${id}`, { token: other.admin.key }), 404, "not_found");
    const reader = await call("POST", "/v1/api-keys", { token: owner.accessToken, body: { name: "reader", type: "secret", scopes: ["read"] } });
    expectApiError(await call("DELETE", `/v1/customers/${id}`, { token: reader.body.key }), 403, "insufficient_scope");
    const agent = await call("POST", "/v1/api-keys/agent", { token: admin.key, body: { name: "agent", scopes: ["write:customers", "read:customers"] } });
    const held = await call("DELETE", `/v1/customers/${id}`, { token: agent.body.key });
    expect(held.status, JSON.stringify(held.body)).toBe(202);
    expect((await call("GET", `/v1/customers/${id}`, { token: admin.key })).status).toBe(200);
    const approved = await call("POST", `/v1/agent-approvals/${held.body.approval_id}/approve`, { token: admin.key });
    expect(approved.body).toMatchObject({ status: "executed", execution_result: { status: 204 } });
    expect((await call("GET", `/v1/customers/${id}`, { token: admin.key })).status).toBe(404);
  });

  it("a redemption made before the erasure that reaches D1 after it is renamed on arrival, everywhere", async () => {
    const { owner, admin, id, stub, sent, redemption } = await redemptionOnItsWay("late");
    expect(sent.messages.length).toBeGreaterThan(0);

    expect((await call("DELETE", `/v1/customers/${id}`, { token: admin.key })).status).toBe(204);
    const { result } = await deliver(LEDGER, sent.messages);
    expect(result.retryMessages).toEqual([]);

    const row = await env.DB.prepare("SELECT customer_id FROM redemptions WHERE id = ?").bind(redemption.id).first<{ customer_id: string }>();
    expect(row?.customer_id).toMatch(/^erased_/);
    const registered = await env.DB.prepare("SELECT count(*) AS n FROM customers WHERE team_id = ? AND (id = ? OR id = ?)").bind(owner.teamId, id, row!.customer_id).first<{ n: number }>();
    expect(registered?.n).toBe(0);
    const text = await pollUntil(() => objectStorageText(stub), (t) => !t.includes(id));
    expect(text).not.toContain(id);
    expectApiError(await call("GET", `/v1/customers/${id}`, { token: admin.key }), 404, "not_found");
  });

  it("an erasure recorded between the consumer's check and its write is caught after the write: the row, the registration and the object lose the id", async () => {
    const { owner, admin, id, stub, sent, redemption } = await redemptionOnItsWay("race");
    // The erasure runs while the redemption is on its way: D1 has no row of it, so the voucher's object is not told.
    expect((await call("DELETE", `/v1/customers/${id}`, { token: admin.key })).status).toBe(204);
    expect(await objectStorageText(stub)).toContain(id);

    // The consumer's check before its write reads customer_erasures as it was before the erasure recorded itself.
    let hidden = 0;
    const beforeTheErasure = new Proxy(env.DB, {
      get(target, prop) {
        if (prop === "prepare") {
          return (query: string) => {
            if (hidden === 0 && query.includes("FROM customer_erasures WHERE subject_hash IN")) {
              hidden += 1;
              return target.prepare(`${query} AND 0`);
            }
            return target.prepare(query);
          };
        }
        const value: unknown = Reflect.get(target, prop);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const { result } = await deliver(LEDGER, sent.messages, { env: withEnv({ DB: beforeTheErasure }) });
    expect(hidden).toBe(1);
    expect(result.retryMessages).toEqual([]);

    const row = await env.DB.prepare("SELECT customer_id FROM redemptions WHERE id = ?").bind(redemption.id).first<{ customer_id: string }>();
    expect(row?.customer_id).toMatch(/^erased_/);
    const registered = await env.DB.prepare("SELECT count(*) AS n FROM customers WHERE team_id = ? AND id = ?").bind(owner.teamId, id).first<{ n: number }>();
    expect(registered?.n).toBe(0);
    expect(await objectStorageText(stub)).not.toContain(id);
    // The id registered again afterwards is a new customer, untouched by a later replay of the same delivery.
    expect((await call("POST", "/v1/customers", { token: admin.key, body: { id } })).status).toBe(201);
    await deliver(LEDGER, sent.messages);
    expect((await call("GET", `/v1/customers/${id}`, { token: admin.key })).status).toBe(200);
    const again = await env.DB.prepare("SELECT customer_id FROM redemptions WHERE id = ?").bind(redemption.id).first<{ customer_id: string }>();
    expect(again?.customer_id).toBe(row!.customer_id);
  });
});
