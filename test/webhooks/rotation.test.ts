// Secret rotation (API.md §9): until the old secret expires every delivery is signed with both, one v1 per
// secret in each header; receivers holding either secret verify it, with standardwebhooks and by the recipe.
import { env } from "cloudflare:test";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { call, newTeam } from "../helpers/api";
import { createEndpoint, verifyVauchflowSignature, waitForRequests } from "../helpers/webhooks";

describe("rotating a secret", () => {
  it("deliveries carry two signatures while the old secret lives, each verifiable; then only the new one", async () => {
    const team = await newTeam();
    const endpoint = await createEndpoint(team.admin.key);
    const rotated = await call("POST", `/v1/webhooks/${endpoint.id}/rotate-secret`, { token: team.admin.key, body: { expire_old_in_seconds: 3600 } });
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
    const fresh = rotated.body.secret as string;

    await call("POST", `/v1/webhooks/${endpoint.id}/test`, { token: team.admin.key });
    const [during] = await waitForRequests(endpoint.path, 1);
    expect(during!.headers["vauchflow-signature"]).toMatch(/^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
    expect(during!.headers["webhook-signature"]!.split(" ")).toHaveLength(2);
    for (const secret of [fresh, endpoint.secret]) {
      expect(await verifyVauchflowSignature(during!.headers["vauchflow-signature"]!, during!.body, secret)).toBe(true);
      expect(new Webhook(secret).verify(during!.body, during!.headers)).toMatchObject({ type: "webhook.test" });
    }

    // The old secret's hour is over.
    await env.DB.prepare("UPDATE webhook_endpoints SET previous_secret_expires_at = ? WHERE id = ?").bind(Date.now() - 1000, endpoint.id).run();
    await call("POST", `/v1/webhooks/${endpoint.id}/test`, { token: team.admin.key });
    const after = (await waitForRequests(endpoint.path, 2))[1]!;
    expect(after.headers["vauchflow-signature"]).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(after.headers["webhook-signature"]!.split(" ")).toHaveLength(1);
    expect(new Webhook(fresh).verify(after.body, after.headers)).toMatchObject({ type: "webhook.test" });
    expect(() => new Webhook(endpoint.secret).verify(after.body, after.headers)).toThrow();
    expect(await verifyVauchflowSignature(after.headers["vauchflow-signature"]!, after.body, endpoint.secret)).toBe(false);
  });

  it("with expire_old_in_seconds: 0 the old secret signs nothing more", async () => {
    const team = await newTeam();
    const endpoint = await createEndpoint(team.admin.key);
    const rotated = await call("POST", `/v1/webhooks/${endpoint.id}/rotate-secret`, { token: team.admin.key, body: { expire_old_in_seconds: 0 } });
    await call("POST", `/v1/webhooks/${endpoint.id}/test`, { token: team.admin.key });
    const [request] = await waitForRequests(endpoint.path);
    expect(new Webhook(rotated.body.secret).verify(request!.body, request!.headers)).toMatchObject({ type: "webhook.test" });
    expect(() => new Webhook(endpoint.secret).verify(request!.body, request!.headers)).toThrow();
  });
});
