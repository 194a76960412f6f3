// Tenancy: events of team A never reach team B's endpoints, and team B cannot see or touch team A's endpoints or
// deliveries (404, as if they did not exist).
import { createScheduledController, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { call, newTeam, sleep } from "../helpers/api";
import { createCampaign } from "../helpers/campaigns";
import { expectApiError } from "../helpers/security";
import { createVoucher } from "../helpers/vouchers";
import { createEndpoint, deliveries, received, waitForDeliveries, waitForRequests } from "../helpers/webhooks";

describe("isolation between teams", () => {
  it("team A's events reach only team A's endpoints", async () => {
    const [a, b] = [await newTeam(), await newTeam()];
    const [hookA, hookB] = [await createEndpoint(a.admin.key), await createEndpoint(b.admin.key)];
    await createVoucher(a.admin.key);
    await createCampaign(a.admin.key);
    await call("POST", `/v1/webhooks/${hookA.id}/test`, { token: a.admin.key });
    await waitForRequests(hookA.path, 3);
    await worker.scheduled(createScheduledController(), env);
    await sleep(300);
    expect(await received(hookB.path)).toEqual([]);
    expect(await deliveries(b.admin.key, hookB.id)).toEqual([]);
    const { results } = await env.DB.prepare("SELECT DISTINCT team_id FROM webhook_deliveries WHERE endpoint_id = ?").bind(hookA.id).all<{ team_id: string }>();
    expect(results).toEqual([{ team_id: a.owner.teamId }]);
  });

  it("team B (secret key or owner) gets 404 for every route on team A's endpoint and deliveries, and changes nothing", async () => {
    const [a, b] = [await newTeam(), await newTeam()];
    const hookA = await createEndpoint(a.admin.key);
    await call("POST", `/v1/webhooks/${hookA.id}/test`, { token: a.admin.key });
    const [delivery] = await waitForDeliveries(a.admin.key, hookA.id, (list) => list[0]?.status === "succeeded");
    await env.DB.prepare("UPDATE webhook_deliveries SET status = 'dead' WHERE id = ?").bind(delivery!.id).run();
    for (const token of [b.admin.key, b.owner.accessToken]) {
      for (const [method, path, body] of [
        ["GET", "", undefined],
        ["PATCH", "", { description: "mine now" }],
        ["POST", "/rotate-secret", {}],
        ["POST", "/test", undefined],
        ["GET", "/deliveries", undefined],
        ["POST", `/deliveries/${delivery!.id}/retry`, undefined],
        ["DELETE", "", undefined],
      ] as const) {
        expectApiError(await call(method, `/v1/webhooks/${hookA.id}${path}`, { token, body }), 404, "not_found");
      }
      expect((await call("GET", "/v1/webhooks", { token })).body.data).toEqual([]);
    }
    const still = await call("GET", `/v1/webhooks/${hookA.id}`, { token: a.admin.key });
    expect(still.body).toMatchObject({ id: hookA.id, description: null, status: "enabled" });
    expect(await deliveries(a.admin.key, hookA.id, "?status=dead")).toHaveLength(1);
    // A's own delivery id under B's endpoint is not found either.
    const hookB = await createEndpoint(b.admin.key);
    expectApiError(await call("POST", `/v1/webhooks/${hookB.id}/deliveries/${delivery!.id}/retry`, { token: b.admin.key }), 404, "not_found");
  });
});
