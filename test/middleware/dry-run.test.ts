// API.md §3, Vauchflow-Dry-Run: a preview answers like the real call (plus dry_run: true, id: null) and persists
// nothing; endpoints that do not support it answer 400 dry_run_not_supported; values other than true/false → 400.
import { describe, expect, it } from "vitest";
import { type Answer, call, createKey, newTeam } from "../helpers/api";
import { expectApiError } from "../helpers/security";
import { customerRows, fullAuditLog, requestIdOf, uniqueId, waitForAudit } from "../helpers/guarantees";

const DRY = { "Vauchflow-Dry-Run": "true" };
const probe = (key: string) => call("GET", "/v1/api-keys?limit=1", { token: key });
const listKeyIds = async (token: string) => {
  const res = await call("GET", "/v1/api-keys?limit=100", { token });
  expect(res.status).toBe(200);
  return (res.body.data as { id: string }[]).map((k) => k.id).sort();
};
const withoutCreatedAt = ({ created_at: _created, ...rest }: Record<string, unknown>) => rest;

describe("Vauchflow-Dry-Run on POST /v1/customers (supported)", () => {
  it("answers 201 with the real call's body plus dry_run: true and id: null, and persists nothing", async () => {
    const { owner, admin } = await newTeam();
    const body = { id: uniqueId(), metadata: { tier: "gold" } };
    const preview = await call("POST", "/v1/customers", { token: admin.key, body, headers: DRY });
    expect(preview.status, JSON.stringify(preview.body)).toBe(201);
    expect(preview.body.dry_run).toBe(true);
    expect(preview.body.id).toBeNull();
    expect(await customerRows(owner.teamId, body.id)).toBe(0);

    // The real call with that id still succeeds, and its body is the preview's minus the dry-run markers.
    const real = await call("POST", "/v1/customers", { token: admin.key, body });
    expect(real.status, JSON.stringify(real.body)).toBe(201);
    expect(real.body.dry_run).toBeUndefined();
    expect(real.body.id).toBe(body.id);
    expect(Object.keys(preview.body).sort()).toEqual([...Object.keys(real.body), "dry_run"].sort());
    expect(withoutCreatedAt(preview.body)).toEqual({ ...withoutCreatedAt(real.body), id: null, dry_run: true });
    expect(preview.body.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
    expect(await customerRows(owner.teamId, body.id)).toBe(1);
  });

  it("a preview of a duplicate answers 409 duplicate_customer, like the real call", async () => {
    const { admin } = await newTeam();
    const body = { id: uniqueId() };
    expect((await call("POST", "/v1/customers", { token: admin.key, body })).status).toBe(201);
    expectApiError(await call("POST", "/v1/customers", { token: admin.key, body, headers: DRY }), 409, "duplicate_customer");
    expectApiError(await call("POST", "/v1/customers", { token: admin.key, body }), 409, "duplicate_customer");
  });

  it("a preview validates like the real call (400 for an unknown field)", async () => {
    const { owner, admin } = await newTeam();
    const body = { id: uniqueId(), nickname: "x" };
    const preview = await call("POST", "/v1/customers", { token: admin.key, body, headers: DRY });
    const real = await call("POST", "/v1/customers", { token: admin.key, body });
    expectApiError(preview, 400, "invalid_request");
    expectApiError(real, 400, "invalid_request");
    expect(preview.body.details).toEqual(real.body.details);
    expect(await customerRows(owner.teamId, body.id)).toBe(0);
  });

  it("Vauchflow-Dry-Run: false is a normal call", async () => {
    const { owner, admin } = await newTeam();
    const body = { id: uniqueId() };
    const res = await call("POST", "/v1/customers", { token: admin.key, body, headers: { "Vauchflow-Dry-Run": "false" } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.id).toBe(body.id);
    expect(res.body).not.toHaveProperty("dry_run");
    expect(await customerRows(owner.teamId, body.id)).toBe(1);
  });

  it("a preview writes no audit entry; the real call does", async () => {
    const { owner } = await newTeam();
    const key = await createKey(owner.accessToken, { name: "writer", scopes: ["write:customers", "read:api_keys"] });
    const body = { id: uniqueId() };
    const preview = await call("POST", "/v1/customers", { token: key.key, body, headers: DRY });
    expect(preview.status).toBe(201);
    const real = await call("POST", "/v1/customers", { token: key.key, body });
    expect(real.status).toBe(201);
    const log = await waitForAudit(owner.accessToken, key.id, [requestIdOf(real)]);
    expect(log.map((e) => e.request_id)).not.toContain(requestIdOf(preview));
    expect(log.filter((e) => e.method === "POST" && e.path === "/v1/customers")).toHaveLength(1);
  });

  it("the OpenAPI document declares Vauchflow-Dry-Run on POST /v1/customers as supported", async () => {
    const doc = await call("GET", "/openapi.json");
    expect(doc.status).toBe(200);
    const op = doc.body.paths?.["/v1/customers"]?.post;
    expect(op, "POST /v1/customers is in the document").toBeDefined();
    const param = (op.parameters ?? []).find((p: { name: string; in: string }) => p.in === "header" && p.name.toLowerCase() === "vauchflow-dry-run");
    expect(param, "Vauchflow-Dry-Run parameter").toBeDefined();
    expect(param.description).toMatch(/dry_run/);
    expect(param.description).not.toMatch(/not supported|dry_run_not_supported/i);
    // Where it is not supported, the document says so.
    const keyParam = (doc.body.paths["/v1/api-keys"].post.parameters ?? []).find(
      (p: { name: string; in: string }) => p.in === "header" && p.name.toLowerCase() === "vauchflow-dry-run",
    );
    expect(keyParam?.description).toMatch(/dry_run_not_supported/);
  });
});

describe("Vauchflow-Dry-Run where it is not supported", () => {
  it("POST /v1/api-keys → 400 dry_run_not_supported, no key created", async () => {
    const { admin } = await newTeam();
    const before = await listKeyIds(admin.key);
    const res = await call("POST", "/v1/api-keys", { token: admin.key, body: { name: "x", type: "secret" }, headers: DRY });
    expectApiError(res, 400, "dry_run_not_supported");
    expect(await listKeyIds(admin.key)).toEqual(before);
  });

  it("POST /v1/api-keys/agent → 400 dry_run_not_supported, no key created", async () => {
    const { admin } = await newTeam();
    const before = await listKeyIds(admin.key);
    const res = await call("POST", "/v1/api-keys/agent", { token: admin.key, body: { name: "a", scopes: ["read"] }, headers: DRY });
    expectApiError(res, 400, "dry_run_not_supported");
    expect(await listKeyIds(admin.key)).toEqual(before);
  });

  it("DELETE /v1/api-keys/{id} → 400 dry_run_not_supported, the key is not revoked; with false it is", async () => {
    const { owner, admin } = await newTeam();
    const victim = await createKey(owner.accessToken, { name: "victim" });
    expectApiError(await call("DELETE", `/v1/api-keys/${victim.id}`, { token: admin.key, headers: DRY }), 400, "dry_run_not_supported");
    expect((await probe(victim.key)).status).toBe(200);
    expect(await listKeyIds(admin.key)).toContain(victim.id);

    const real = await call("DELETE", `/v1/api-keys/${victim.id}`, { token: admin.key, headers: { "Vauchflow-Dry-Run": "false" } });
    expect(real.status).toBe(204);
    expect((await probe(victim.key)).status).toBe(401);
  });

  it("POST /v1/api-keys/{id}/rotate → 400 dry_run_not_supported, the secret is unchanged", async () => {
    const { owner, admin } = await newTeam();
    const victim = await createKey(owner.accessToken, { name: "victim" });
    const res = await call("POST", `/v1/api-keys/${victim.id}/rotate`, { token: admin.key, body: {}, headers: DRY });
    expectApiError(res, 400, "dry_run_not_supported");
    expect((await probe(victim.key)).status).toBe(200);
  });

  it("POST /v1/teams → 400 dry_run_not_supported, no team created", async () => {
    const { owner } = await newTeam();
    const teams = async () => (await call("GET", "/v1/auth/me", { token: owner.accessToken })).body.teams as unknown[];
    const before = await teams();
    const res = await call("POST", "/v1/teams", { token: owner.accessToken, body: { name: "Previewed" }, headers: DRY });
    expectApiError(res, 400, "dry_run_not_supported");
    expect(await teams()).toEqual(before);
  });

  it("POST /v1/teams/{id}/members → 400 dry_run_not_supported, nobody added", async () => {
    const { owner } = await newTeam();
    const other = await newTeam();
    const members = async () => (await call("GET", `/v1/teams/${owner.teamId}/members`, { token: owner.accessToken })).body.data as unknown[];
    const before = await members();
    const res = await call("POST", `/v1/teams/${owner.teamId}/members`, {
      token: owner.accessToken,
      body: { email: other.owner.email, role: "viewer" },
      headers: DRY,
    });
    expectApiError(res, 400, "dry_run_not_supported");
    expect(await members()).toEqual(before);
  });

  it("POST /v1/auth/signup (public) → 400 dry_run_not_supported, no account created", async () => {
    const email = `dry${crypto.randomUUID()}@example.com`;
    const password = "correct horse battery";
    const res = await call("POST", "/v1/auth/signup", { body: { email, password, team_name: "Dry" }, headers: DRY });
    expectApiError(res, 400, "dry_run_not_supported");
    expectApiError(await call("POST", "/v1/auth/login", { body: { email, password } }), 401, "invalid_credentials");
  });
});

describe("Vauchflow-Dry-Run with a value other than true/false", () => {
  it("→ 400 invalid_header on every endpoint, supported or not, GET included, and nothing happens", async () => {
    const { owner, admin } = await newTeam();
    const victim = await createKey(owner.accessToken, { name: "victim" });
    const customer = { id: uniqueId() };
    for (const value of ["yes", "1", "", "true,false"]) {
      const headers = { "Vauchflow-Dry-Run": value };
      const answers: [string, Answer][] = [
        ["POST /v1/customers", await call("POST", "/v1/customers", { token: admin.key, body: customer, headers })],
        ["POST /v1/api-keys", await call("POST", "/v1/api-keys", { token: admin.key, body: { name: "x", type: "secret" }, headers })],
        ["DELETE /v1/api-keys/{id}", await call("DELETE", `/v1/api-keys/${victim.id}`, { token: admin.key, headers })],
        ["POST /v1/api-keys/{id}/rotate", await call("POST", `/v1/api-keys/${victim.id}/rotate`, { token: admin.key, body: {}, headers })],
        ["POST /v1/teams", await call("POST", "/v1/teams", { token: owner.accessToken, body: { name: "T" }, headers })],
        ["GET /v1/api-keys", await call("GET", "/v1/api-keys", { token: admin.key, headers })],
        ["GET /v1/auth/me", await call("GET", "/v1/auth/me", { token: owner.accessToken, headers })],
      ];
      for (const [what, res] of answers) {
        expect(res.status, `${what} with "${value}": ${JSON.stringify(res.body)}`).toBe(400);
        expectApiError(res, 400, "invalid_header");
      }
    }
    expect(await customerRows(owner.teamId, customer.id)).toBe(0);
    expect((await probe(victim.key)).status).toBe(200);
    expect(await listKeyIds(admin.key)).toEqual([admin.id, victim.id].sort());
  });
});

describe("dry-run and the audit log", () => {
  it("refused previews (400) are not audited either", async () => {
    const { owner } = await newTeam();
    const key = await createKey(owner.accessToken, { name: "k", scopes: ["admin"] });
    const refused = await call("POST", "/v1/api-keys", { token: key.key, body: { name: "x", type: "secret" }, headers: DRY });
    expectApiError(refused, 400, "dry_run_not_supported");
    const real = await call("POST", "/v1/customers", { token: key.key, body: { id: uniqueId() } });
    expect(real.status).toBe(201);
    await waitForAudit(owner.accessToken, key.id, [requestIdOf(real)]);
    const ids = (await fullAuditLog(owner.accessToken, key.id)).map((e) => e.request_id);
    expect(ids).not.toContain(requestIdOf(refused));
  });
});
