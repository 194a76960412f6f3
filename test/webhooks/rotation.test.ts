// Secret rotation (API.md §9): until the old secret expires every delivery is signed with both, one v1 per
// secret in each header; receivers holding either secret verify it, with standardwebhooks and by the recipe.
import { env } from "cloudflare:test";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { call, newTeam } from "../helpers/api";
import { createEndpoint, verifyVauchflowSignature, waitForRequests } from "../helpers/webhooks";
import { seal } from "../../src/lib/sealing";
import { liveReplacedSecrets, readReplacedSecrets, sealReplacedSecrets } from "../../src/lib/webhook-secrets";

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

describe("rotating during a rotation", () => {
  it("every replaced secret signs until its own expiry: a second rotation does not cut the first one's grace short", async () => {
    const team = await newTeam();
    const endpoint = await createEndpoint(team.admin.key);
    const first = await call("POST", `/v1/webhooks/${endpoint.id}/rotate-secret`, { token: team.admin.key, body: { expire_old_in_seconds: 3600 } });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const second = await call("POST", `/v1/webhooks/${endpoint.id}/rotate-secret`, { token: team.admin.key, body: { expire_old_in_seconds: 60 } });
    expect(second.status, JSON.stringify(second.body)).toBe(200);
    const [original, middle, newest] = [endpoint.secret, first.body.secret as string, second.body.secret as string];

    await call("POST", `/v1/webhooks/${endpoint.id}/test`, { token: team.admin.key });
    const [request] = await waitForRequests(endpoint.path, 1);
    // Three live secrets: one v1 each, newest first, no trailing separator.
    expect(request!.headers["vauchflow-signature"]).toMatch(/^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
    expect(request!.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]{43}= v1,[A-Za-z0-9+/]{43}= v1,[A-Za-z0-9+/]{43}=$/);
    for (const secret of [newest, middle, original]) {
      expect(await verifyVauchflowSignature(request!.headers["vauchflow-signature"]!, request!.body, secret)).toBe(true);
      expect(new Webhook(secret).verify(request!.body, request!.headers)).toMatchObject({ type: "webhook.test" });
    }
  });
});

describe("replaced secrets as stored", () => {
  it("each stops exactly at its own expiry; a row of the one-secret format still reads", async () => {
    const at = 1_800_000_000_000;
    const stored = await sealReplacedSecrets(env.ENCRYPTION_KEY, [
      { secret: "whsec_middle", expires_at: at + 60_000 },
      { secret: "whsec_original", expires_at: at + 3_600_000 },
    ]);
    expect(stored.previousSecretExpiresAt).toBe(at + 3_600_000);
    const read = (await readReplacedSecrets(env.ENCRYPTION_KEY, stored.previousSecret, stored.previousSecretExpiresAt))!;
    expect(liveReplacedSecrets(read, at + 59_999).map((s) => s.secret)).toEqual(["whsec_middle", "whsec_original"]);
    expect(liveReplacedSecrets(read, at + 60_000).map((s) => s.secret)).toEqual(["whsec_original"]);
    expect(liveReplacedSecrets(read, at + 3_600_000)).toEqual([]);
    const legacy = await readReplacedSecrets(env.ENCRYPTION_KEY, await seal(env.ENCRYPTION_KEY, "whsec_old"), at);
    expect(legacy).toEqual([{ secret: "whsec_old", expires_at: at }]);
  });
});
