// API.md §9 endpoints: the secret shown once and stored sealed, dry-run, the URL policy per environment, patch,
// delete, rotation, test events, and an agent's create and delete held for approval.
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { unseal } from "../../src/lib/sealing";
import { readReplacedSecrets } from "../../src/lib/webhook-secrets";
import { call, createAgentKey, newTeam } from "../helpers/api";
import { expectApiError } from "../helpers/security";
import { createEndpoint, hookPath, hookUrl, teamEvents, waitForRequests } from "../helpers/webhooks";

const ENDPOINT_FIELDS = ["created_at", "description", "disabled_reason", "events", "id", "object", "status", "updated_at", "url"];

const endpointRow = (id: string) =>
  env.DB.prepare("SELECT * FROM webhook_endpoints WHERE id = ?")
    .bind(id)
    .first<{ secret: string; previous_secret: string | null; previous_secret_expires_at: number | null; status: string; disabled_reason: string | null }>();

describe("creating an endpoint", () => {
  it("answers the endpoint with its secret once; reads never show it, and D1 holds it sealed, not in the clear", async () => {
    const team = await newTeam();
    const url = hookUrl(hookPath());
    const res = await call("POST", "/v1/webhooks", { token: team.admin.key, body: { url, events: ["voucher.redeemed", "campaign.paused"], description: "Orders" } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^whk_[0-9A-HJKMNP-TV-Z]{26}$/),
      object: "webhook_endpoint",
      url,
      events: ["voucher.redeemed", "campaign.paused"],
      description: "Orders",
      status: "enabled",
      disabled_reason: null,
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    const { id, secret } = res.body;

    const got = await call("GET", `/v1/webhooks/${id}`, { token: team.admin.key });
    expect(Object.keys(got.body).sort()).toEqual(ENDPOINT_FIELDS);
    const list = await call("GET", "/v1/webhooks", { token: team.admin.key });
    expect(list.body.data).toEqual([got.body]);
    expect(JSON.stringify([got.body, list.body])).not.toContain(secret.slice(6, 20));

    const row = await endpointRow(id);
    expect(row!.secret.startsWith("v1.")).toBe(true);
    expect(row!.secret).not.toContain(secret.slice(6));
    expect(await unseal(env.ENCRYPTION_KEY, row!.secret)).toBe(secret);
  });

  it("a retry with the same Idempotency-Key replays the same endpoint and secret (kept sealed), and makes no second one", async () => {
    const team = await newTeam();
    const body = { url: hookUrl(hookPath()), events: ["*"] };
    const headers = { "Idempotency-Key": `hook-${crypto.randomUUID()}` };
    const first = await call("POST", "/v1/webhooks", { token: team.admin.key, body, headers });
    const again = await call("POST", "/v1/webhooks", { token: team.admin.key, body, headers });
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(again.body).toEqual(first.body);
    expect((await call("GET", "/v1/webhooks", { token: team.admin.key })).body.data).toHaveLength(1);
  });

  it("dry run: the same answer with id null, dry_run true and no secret; nothing stored, no event", async () => {
    const team = await newTeam();
    const url = hookUrl(hookPath());
    const res = await call("POST", "/v1/webhooks", { token: team.admin.key, body: { url, events: ["*"] }, headers: { "Vauchflow-Dry-Run": "true" } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ id: null, dry_run: true, secret: null, url, object: "webhook_endpoint", status: "enabled" });
    expect((await call("GET", "/v1/webhooks", { token: team.admin.key })).body.data).toEqual([]);
    expect(await teamEvents(team.owner.teamId)).toEqual([]);
  });

  it("refuses unknown event types, `*` beside others, an empty list, and unknown fields (400)", async () => {
    const team = await newTeam();
    const url = hookUrl(hookPath());
    for (const body of [
      { url, events: ["voucher.exploded"] },
      { url, events: ["*", "voucher.created"] },
      { url, events: [] },
      { url },
      { url: "not a url", events: ["*"] },
      { url, events: ["*"], secret: "whsec_mine" },
    ]) {
      expectApiError(await call("POST", "/v1/webhooks", { token: team.admin.key, body }), 400, "invalid_request");
    }
  });

  it("staging (the tests' environment) accepts http and loopback; credentials in the URL are refused (422)", async () => {
    const team = await newTeam();
    const res = await call("POST", "/v1/webhooks", { token: team.admin.key, body: { url: "http://user:pw@127.0.0.1:9/x", events: ["*"] } });
    expectApiError(res, 422, "webhook_url_not_allowed");
    expect(res.body.details).toEqual([{ path: "url", message: expect.stringContaining("password") }]);
  });

  it("production refuses http and every non-public host with 422 webhook_url_not_allowed, and accepts a public https URL", async () => {
    const team = await newTeam();
    const production = { ...env, ENVIRONMENT: "production" as const };
    const create = async (url: string) => {
      const request = new Request("https://api.vauchflow.test/v1/webhooks", {
        method: "POST",
        headers: { Authorization: `Bearer ${team.owner.accessToken}`, "Content-Type": "application/json" },
        body: JSON.stringify({ url, events: ["*"] }),
      });
      const ctx = createExecutionContext();
      const res = await worker.fetch(request, production, ctx);
      await waitOnExecutionContext(ctx);
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    for (const url of ["http://hooks.example.com/x", "https://127.0.0.1/x", "https://2130706433/x", "https://0x7f.1/x", "https://[::ffff:127.0.0.1]/x", "https://localhost/x", "https://169.254.169.254/x"]) {
      const res = await create(url);
      expect({ url, status: res.status, error: res.body.error }).toEqual({ url, status: 422, error: "webhook_url_not_allowed" });
    }
    expect((await create("https://hooks.example.com/vauchflow")).status).toBe(201);
  });
});

describe("changing an endpoint", () => {
  it("PATCH changes url, events, description and status; other fields → 422; disabling by hand says `manual`", async () => {
    const team = await newTeam();
    const endpoint = await createEndpoint(team.admin.key);
    const url = hookUrl(hookPath());
    const res = await call("PATCH", `/v1/webhooks/${endpoint.id}`, { token: team.admin.key, body: { url, events: ["voucher.created"], description: "New" } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ id: endpoint.id, url, events: ["voucher.created"], description: "New", status: "enabled" });
    expect(res.body.secret).toBeUndefined();

    expectApiError(await call("PATCH", `/v1/webhooks/${endpoint.id}`, { token: team.admin.key, body: { disabled_reason: null } }), 422, "unsupported_field");
    expectApiError(await call("PATCH", `/v1/webhooks/${endpoint.id}`, { token: team.admin.key, body: { secret: "x" } }), 400, "invalid_request");

    const off = await call("PATCH", `/v1/webhooks/${endpoint.id}`, { token: team.admin.key, body: { status: "disabled" } });
    expect(off.body).toMatchObject({ status: "disabled", disabled_reason: "manual" });
    expectApiError(await call("POST", `/v1/webhooks/${endpoint.id}/test`, { token: team.admin.key }), 409, "webhook_disabled");
    const on = await call("PATCH", `/v1/webhooks/${endpoint.id}`, { token: team.admin.key, body: { status: "enabled" } });
    expect(on.body).toMatchObject({ status: "enabled", disabled_reason: null });
    expect(await call("PATCH", `/v1/webhooks/${endpoint.id}`, { token: team.admin.key, body: {}, headers: { "Vauchflow-Dry-Run": "true" } })).toMatchObject({
      status: 400,
      body: { error: "dry_run_not_supported" },
    });
  });

  it("rotate-secret answers a new secret; the old one stays live 24 h by default, or dies at once with 0", async () => {
    const team = await newTeam();
    const endpoint = await createEndpoint(team.admin.key);
    const before = Date.now();
    const res = await call("POST", `/v1/webhooks/${endpoint.id}/rotate-secret`, { token: team.admin.key });
    const after = Date.now();
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.secret).toMatch(/^whsec_/);
    expect(res.body.secret).not.toBe(endpoint.secret);
    // 24 h from the rotation (somewhere between before and after), shown to the second.
    const oldExpiresAt = Date.parse(res.body.old_secret_expires_at);
    expect(oldExpiresAt).toBeGreaterThanOrEqual(Math.floor((before + 86_400_000) / 1000) * 1000);
    expect(oldExpiresAt).toBeLessThanOrEqual(after + 86_400_000);
    const row = await endpointRow(endpoint.id);
    expect(await unseal(env.ENCRYPTION_KEY, row!.secret)).toBe(res.body.secret);
    expect(await readReplacedSecrets(env.ENCRYPTION_KEY, row!.previous_secret, row!.previous_secret_expires_at)).toEqual([
      { secret: endpoint.secret, expires_at: oldExpiresAt },
    ]);

    const now = await call("POST", `/v1/webhooks/${endpoint.id}/rotate-secret`, { token: team.admin.key, body: { expire_old_in_seconds: 0 } });
    expect(now.body.old_secret_expires_at).toBeNull();
    expect((await endpointRow(endpoint.id))!.previous_secret).toBeNull();
    expectApiError(await call("POST", `/v1/webhooks/${endpoint.id}/rotate-secret`, { token: team.admin.key, body: { expire_old_in_seconds: 86_401 } }), 400, "invalid_request");
  });

  it("concurrent PATCHes of different fields all land: none writes back what another changed", async () => {
    const team = await newTeam();
    for (let round = 0; round < 3; round++) {
      const endpoint = await createEndpoint(team.admin.key);
      const url = hookUrl(hookPath());
      const answers = await Promise.all([
        call("PATCH", `/v1/webhooks/${endpoint.id}`, { token: team.admin.key, body: { url } }),
        call("PATCH", `/v1/webhooks/${endpoint.id}`, { token: team.admin.key, body: { events: ["voucher.created"] } }),
        call("PATCH", `/v1/webhooks/${endpoint.id}`, { token: team.admin.key, body: { description: "Both" } }),
        call("PATCH", `/v1/webhooks/${endpoint.id}`, { token: team.admin.key, body: { status: "disabled" } }),
      ]);
      for (const a of answers) expect(a.status, JSON.stringify(a.body)).toBe(200);
      const got = await call("GET", `/v1/webhooks/${endpoint.id}`, { token: team.admin.key });
      expect(got.body).toMatchObject({ url, events: ["voucher.created"], description: "Both", status: "disabled", disabled_reason: "manual" });
    }
  });

  it("concurrent rotations chain: each keeps the other's secret live, so every answered secret signed something", async () => {
    const team = await newTeam();
    const endpoint = await createEndpoint(team.admin.key);
    const [a, b] = await Promise.all([
      call("POST", `/v1/webhooks/${endpoint.id}/rotate-secret`, { token: team.admin.key }),
      call("POST", `/v1/webhooks/${endpoint.id}/rotate-secret`, { token: team.admin.key }),
    ]);
    expect([a!.status, b!.status]).toEqual([200, 200]);
    const row = (await endpointRow(endpoint.id))!;
    const replaced = (await readReplacedSecrets(env.ENCRYPTION_KEY, row.previous_secret, row.previous_secret_expires_at))!;
    const live = [await unseal(env.ENCRYPTION_KEY, row.secret), ...replaced.map((s) => s.secret)];
    expect(live.sort()).toEqual([a!.body.secret, b!.body.secret, endpoint.secret].sort());
  });

  it("DELETE → 204; then it is gone (404) and a test event or retry has nothing to reach", async () => {
    const team = await newTeam();
    const endpoint = await createEndpoint(team.admin.key);
    expect((await call("DELETE", `/v1/webhooks/${endpoint.id}`, { token: team.admin.key })).status).toBe(204);
    for (const [method, path] of [
      ["GET", ""],
      ["PATCH", ""],
      ["DELETE", ""],
      ["GET", "/deliveries"],
      ["POST", "/test"],
      ["POST", "/rotate-secret"],
    ] as const) {
      const res = await call(method, `/v1/webhooks/${endpoint.id}${path}`, { token: team.admin.key, ...(method === "PATCH" ? { body: { description: "x" } } : {}) });
      expectApiError(res, 404, "not_found");
    }
  });
});

describe("test events", () => {
  it("POST /test answers 202 with the event and delivers webhook.test to this endpoint alone", async () => {
    const team = await newTeam();
    const [target, other] = [await createEndpoint(team.admin.key), await createEndpoint(team.admin.key)];
    const res = await call("POST", `/v1/webhooks/${target.id}/test`, { token: team.admin.key });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body).toMatchObject({ id: expect.stringMatching(/^evt_/), object: "event", type: "webhook.test", data: { webhook_id: target.id } });
    const [request] = await waitForRequests(target.path);
    expect(JSON.parse(request!.body)).toEqual({ id: res.body.id, type: "webhook.test", created_at: res.body.created_at, data: res.body.data });
    expect(request!.headers["webhook-id"]).toBe(res.body.id);
    expect(await teamEvents(team.owner.teamId)).toHaveLength(1);
    const untouched = await call("GET", `/v1/webhooks/${other.id}/deliveries`, { token: team.admin.key });
    expect(untouched.body.data).toEqual([]);
  });
});

describe("agent keys", () => {
  it("creating and deleting an endpoint wait for approval; the approver sees the secret once, the approval keeps none", async () => {
    const team = await newTeam();
    const agent = await createAgentKey(team.admin.key, { scopes: ["read:webhooks", "write:webhooks"] });
    const url = hookUrl(hookPath());
    const held = await call("POST", "/v1/webhooks", { token: agent.key, body: { url, events: ["*"] } });
    expect(held.status, JSON.stringify(held.body)).toBe(202);
    expect((await call("GET", "/v1/webhooks", { token: team.admin.key })).body.data).toEqual([]);

    const approved = await call("POST", `/v1/agent-approvals/${held.body.approval_id}/approve`, { token: team.admin.key });
    expect(approved.body).toMatchObject({ status: "executed", execution_result: { status: 201, body: { object: "webhook_endpoint", url } } });
    expect(approved.body.execution_result.body.secret).toMatch(/^whsec_/);
    const { results } = await env.DB.prepare("SELECT execution_result FROM agent_approvals WHERE id = ?").bind(held.body.approval_id).all<{ execution_result: string }>();
    expect(results[0]!.execution_result).not.toMatch(/whsec_/);
    const reread = await call("GET", `/v1/agent-approvals/${held.body.approval_id}`, { token: team.admin.key });
    expect(reread.body.execution_result).toMatchObject({ status: 201, body: { object: "webhook_endpoint", url } });
    expect(JSON.stringify(reread.body)).not.toMatch(/whsec_/);
    const id = approved.body.execution_result.body.id as string;
    expect((await call("GET", `/v1/webhooks/${id}`, { token: agent.key })).status).toBe(200);

    const heldDelete = await call("DELETE", `/v1/webhooks/${id}`, { token: agent.key });
    expect(heldDelete.status, JSON.stringify(heldDelete.body)).toBe(202);
    expect((await call("GET", `/v1/webhooks/${id}`, { token: team.admin.key })).status).toBe(200);
    const deleted = await call("POST", `/v1/agent-approvals/${heldDelete.body.approval_id}/approve`, { token: team.admin.key });
    expect(deleted.body).toMatchObject({ status: "executed", execution_result: { status: 204, body: null } });
    expect((await call("GET", `/v1/webhooks/${id}`, { token: team.admin.key })).status).toBe(404);
  });
});
