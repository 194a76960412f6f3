// Events reach a real HTTP receiver (started by the test setup), signed with both headers of API.md §9: verified
// with the standardwebhooks library and by the documented recipe. One event per change, none for a dry run or a
// refused call, only the types an endpoint subscribed to.
import { createScheduledController, env } from "cloudflare:test";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { call, createKey, newTeam, sleep } from "../helpers/api";
import { createCampaign } from "../helpers/campaigns";
import { createVoucher, uniqueCode } from "../helpers/vouchers";
import {
  attemptNow,
  createEndpoint,
  deliveries,
  plan,
  received,
  teamEvents,
  verifyVauchflowSignature,
  waitForDeliveries,
  waitForRequests,
} from "../helpers/webhooks";

async function runSweep() {
  await worker.scheduled(createScheduledController(), env);
}

describe("delivering an event", () => {
  it("voucher.created reaches the endpoint once, with both signatures valid, and the delivery is listed as succeeded", async () => {
    const team = await newTeam();
    const endpoint = await createEndpoint(team.admin.key, { events: ["voucher.created"] });
    const voucher = await createVoucher(team.admin.key, { code: uniqueCode("HOOK") });
    const [request] = await waitForRequests(endpoint.path);
    expect(request!.method).toBe("POST");
    expect(request!.headers["content-type"]).toBe("application/json");

    const payload = JSON.parse(request!.body);
    expect(payload).toEqual({ id: expect.stringMatching(/^evt_[0-9A-HJKMNP-TV-Z]{26}$/), type: "voucher.created", created_at: expect.any(String), data: voucher });
    expect(request!.headers["webhook-id"]).toBe(payload.id);
    const t = Number(request!.headers["webhook-timestamp"]);
    expect(Math.abs(t - Date.now() / 1000)).toBeLessThan(60);
    expect(request!.headers["vauchflow-signature"]).toMatch(new RegExp(`^t=${t},v1=[0-9a-f]{64}$`));
    expect(await verifyVauchflowSignature(request!.headers["vauchflow-signature"]!, request!.body, endpoint.secret)).toBe(true);
    expect(new Webhook(endpoint.secret).verify(request!.body, request!.headers)).toEqual(payload);

    const [delivery] = await waitForDeliveries(team.admin.key, endpoint.id, (list) => list[0]?.status === "succeeded");
    expect(delivery).toMatchObject({ event_id: payload.id, event_type: "voucher.created", attempt: 1, status: "succeeded", response_status: 200, next_attempt_at: null, error: null });
    expect(delivery!.duration_ms).toBeGreaterThanOrEqual(0);
    await runSweep();
    await sleep(300);
    expect(await received(endpoint.path)).toHaveLength(1);
  });

  it("every attempt is signed afresh: a new timestamp and signature, the same event id and body", async () => {
    const team = await newTeam();
    const endpoint = await createEndpoint(team.admin.key);
    await plan(endpoint.path, [{ status: 500 }]);
    await call("POST", `/v1/webhooks/${endpoint.id}/test`, { token: team.admin.key });
    const [failed] = await waitForDeliveries(team.admin.key, endpoint.id, (list) => list[0]?.status === "failed");
    await sleep(1100);
    await attemptNow(failed!.id);
    const [first, second] = await waitForRequests(endpoint.path, 2);
    expect(second!.headers["webhook-id"]).toBe(first!.headers["webhook-id"]);
    expect(second!.body).toBe(first!.body);
    expect(Number(second!.headers["webhook-timestamp"])).toBeGreaterThan(Number(first!.headers["webhook-timestamp"]));
    expect(second!.headers["vauchflow-signature"]).not.toBe(first!.headers["vauchflow-signature"]);
    for (const r of [first!, second!]) expect(new Webhook(endpoint.secret).verify(r.body, r.headers)).toMatchObject({ type: "webhook.test" });
    expect((await deliveries(team.admin.key, endpoint.id))[0]).toMatchObject({ status: "succeeded", attempt: 2 });
  });

  it("an endpoint gets only the types it subscribed to; `*` gets all", async () => {
    const team = await newTeam();
    const campaignsOnly = await createEndpoint(team.admin.key, { events: ["campaign.created", "campaign.paused"] });
    const everything = await createEndpoint(team.admin.key, { events: ["*"] });
    const campaign = await createCampaign(team.admin.key);
    await createVoucher(team.admin.key);
    await call("POST", `/v1/campaigns/${campaign.id}/pause`, { token: team.admin.key, body: { paused: true } });
    await waitForRequests(everything.path, 3);
    const got = await waitForRequests(campaignsOnly.path, 2);
    await runSweep();
    expect((await received(campaignsOnly.path)).map((r) => JSON.parse(r.body).type).sort()).toEqual(["campaign.created", "campaign.paused"]);
    expect((await received(everything.path)).map((r) => JSON.parse(r.body).type).sort()).toEqual(["campaign.created", "campaign.paused", "voucher.created"]);
    expect(got).toHaveLength(2);
  });

  it("an endpoint never gets events from before it existed", async () => {
    const team = await newTeam();
    await createVoucher(team.admin.key);
    const endpoint = await createEndpoint(team.admin.key);
    await runSweep();
    expect(await deliveries(team.admin.key, endpoint.id)).toEqual([]);
  });
});

describe("exactly one event per change, none for what did not happen", () => {
  it("dry runs and refused calls write no event; the changes that happened write one each", async () => {
    const team = await newTeam();
    const endpoint = await createEndpoint(team.admin.key);
    const dry = { "Vauchflow-Dry-Run": "true" };
    const code = uniqueCode("ONCE");
    const readOnly = await createKey(team.owner.accessToken, { scopes: ["read"] });

    // Previews.
    expect((await call("POST", "/v1/vouchers", { token: team.admin.key, body: { code, discount: { type: "percent", percent_off: 5 } }, headers: dry })).status).toBe(201);
    expect((await call("POST", "/v1/campaigns", { token: team.admin.key, body: { name: "Dry", discount: { type: "percent", percent_off: 5 } }, headers: dry })).status).toBe(201);
    expect((await call("POST", "/v1/webhooks", { token: team.admin.key, body: { url: endpoint.url, events: ["*"] }, headers: dry })).status).toBe(201);
    // Refusals: no scope, invalid body, unknown campaign.
    expect((await call("POST", "/v1/vouchers", { token: readOnly.key, body: { code, discount: { type: "percent", percent_off: 5 } } })).status).toBe(403);
    expect((await call("POST", "/v1/campaigns", { token: team.admin.key, body: { name: "" } })).status).toBe(400);
    expect((await call("POST", "/v1/vouchers", { token: team.admin.key, body: { campaign_id: "cmp_01JD0000000000000000000000" } })).status).toBe(404);
    expect(await teamEvents(team.owner.teamId)).toEqual([]);

    // Real changes, and repeats that change nothing.
    await createVoucher(team.admin.key, { code });
    expect((await call("POST", "/v1/vouchers", { token: team.admin.key, body: { code, discount: { type: "percent", percent_off: 5 } } })).status).toBe(409);
    const campaign = await createCampaign(team.admin.key);
    for (const paused of [true, true, false, false, true]) {
      expect((await call("POST", `/v1/campaigns/${campaign.id}/pause`, { token: team.admin.key, body: { paused } })).status).toBe(200);
    }
    const types = (await teamEvents(team.owner.teamId)).map((e) => e.type);
    expect(types).toEqual(["voucher.created", "campaign.created", "campaign.paused", "campaign.resumed", "campaign.paused"]);

    await runSweep();
    const got = await waitForRequests(endpoint.path, 5);
    await sleep(300);
    expect((await received(endpoint.path)).map((r) => JSON.parse(r.body).type)).toHaveLength(5);
    expect(new Set(got.map((r) => r.headers["webhook-id"])).size).toBe(5);
  });

  it("a lost dispatch (the request's waitUntil died) is made by the minute sweep", async () => {
    const team = await newTeam();
    const endpoint = await createEndpoint(team.admin.key);
    const { eventStatements } = await import("../../src/services/webhook-outbox");
    const { newEvent } = await import("../../src/domain/webhook-events");
    const event = newEvent(team.owner.teamId, "campaign.created", { id: "cmp_lost" });
    await env.DB.batch(eventStatements(env.DB, [event]));
    expect(await received(endpoint.path)).toEqual([]);
    await runSweep();
    const [request] = await waitForRequests(endpoint.path);
    expect(JSON.parse(request!.body)).toMatchObject({ id: event.id, type: "campaign.created", data: { id: "cmp_lost" } });
    // Written twice (a redelivered ledger message, say), it is still one event.
    await env.DB.batch(eventStatements(env.DB, [event]));
    await runSweep();
    expect((await teamEvents(team.owner.teamId)).filter((e) => e.id === event.id)).toHaveLength(1);
  });

  it("a delivery whose queue message was lost is queued again by the sweep once it is late", async () => {
    const team = await newTeam();
    const endpoint = await createEndpoint(team.admin.key);
    await plan(endpoint.path, [{ status: 503 }]);
    await call("POST", `/v1/webhooks/${endpoint.id}/test`, { token: team.admin.key });
    const [failed] = await waitForDeliveries(team.admin.key, endpoint.id, (list) => list[0]?.status === "failed");
    // Its retry message is 5 minutes away; make it 2 minutes overdue instead, as if the message had been lost.
    await env.DB.prepare("UPDATE webhook_deliveries SET next_attempt_at = ? WHERE id = ?").bind(Date.now() - 120_000, failed!.id).run();
    await runSweep();
    await waitForRequests(endpoint.path, 2);
    const [done] = await waitForDeliveries(team.admin.key, endpoint.id, (list) => list[0]?.status === "succeeded");
    expect(done).toMatchObject({ attempt: 2, status: "succeeded" });
  });
});
