import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../src/lib/crypto";
import { addMember, type Answer, call, createAgentKey, createKey, newTeam, sleep } from "../helpers/api";
import { heldD1, sendWithD1 } from "../helpers/held-d1";
import { expectApiError, expectInvalidKey, uniqueOrigin } from "../helpers/security";

const DAY = 86_400_000;
const KEY_FIELDS = [
  "allowed_origins",
  "created_at",
  "display_key",
  "environment",
  "expires_at",
  "id",
  "last_used_at",
  "name",
  "object",
  "rate_limit_per_minute",
  "scopes",
  "type",
];
const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

const listKeys = async (token: string, query = "") => {
  const res = await call("GET", `/v1/api-keys${query}`, { token });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { data: any[]; has_more: boolean; next_cursor: string | null };
};
const listedIds = async (token: string) => (await listKeys(token, "?limit=100")).data.map((k) => k.id);
/** A cheap authenticated request: 200 while the key is valid (for keys that may read keys). */
const probe = (key: string) => call("GET", "/v1/api-keys?limit=1", { token: key });
const inFuture = (ms: number) => new Date(Date.now() + ms).toISOString();
/** API.md fixes the status (403) but not the code for over-reaching mints; the shape still holds. */
const expectForbidden = (res: Answer) => {
  expect(res.status, JSON.stringify(res.body)).toBe(403);
  expectApiError(res, 403, res.body.error);
};

describe("POST /v1/api-keys — secret keys", () => {
  it("creates an admin key by default; the plaintext is shown once, in the vf_sk_test_ format", async () => {
    const { owner } = await newTeam();
    const res = await call("POST", "/v1/api-keys", { token: owner.accessToken, body: { name: "checkout server", type: "secret" } });
    expect(res.status).toBe(201);
    const key = res.body;
    expect(Object.keys(key).sort()).toEqual([...KEY_FIELDS, "key"].sort());
    expect(key).toMatchObject({
      object: "api_key",
      name: "checkout server",
      type: "secret",
      environment: "staging",
      scopes: ["admin"],
      allowed_origins: [],
      rate_limit_per_minute: null,
      last_used_at: null,
      expires_at: null,
    });
    expect(key.id).toMatch(/^key_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(key.created_at).toMatch(RFC3339_UTC);
    // Secret and check, then the team id and the key id (lib/api-keys.ts).
    expect(key.key).toMatch(/^vf_sk_test_[0-9A-Za-z]{32}[0-9A-HJKMNP-TV-Z]{52}$/);
    expect(key.key.endsWith(`${owner.teamId.slice("team_".length)}${key.id.slice("key_".length)}`)).toBe(true);
    // display_key is a recognisable prefix, never enough to use.
    const shown = key.display_key.replace(/…$/, "");
    expect(key.key.startsWith(shown)).toBe(true);
    expect(shown.startsWith("vf_sk_test_")).toBe(true);
    expect(shown.length).toBeLessThan(key.key.length - 26);

    const listed = await listKeys(owner.accessToken);
    const row = listed.data.find((k) => k.id === key.id);
    expect(row).toBeDefined();
    expect(Object.keys(row).sort()).toEqual(KEY_FIELDS);
    expect(row.display_key).toBe(key.display_key);
    const secret = key.key.slice("vf_sk_test_".length, "vf_sk_test_".length + 32);
    expect(JSON.stringify(listed)).not.toContain(secret);
  });

  it("the new key authenticates, and two keys never share a secret", async () => {
    const { owner } = await newTeam();
    const a = await createKey(owner.accessToken);
    const b = await createKey(owner.accessToken);
    expect(a.key).not.toBe(b.key);
    expect(a.key.slice(0, 43)).not.toBe(b.key.slice(0, 43));
    expect((await probe(a.key)).status).toBe(200);
    expect((await call("GET", "/v1/api-keys", { headers: { "X-API-Key": b.key } })).status).toBe(200);
  });

  it("keeps explicit scopes, rate limit and expiry", async () => {
    const { admin } = await newTeam();
    const expiresAt = inFuture(30 * DAY).replace(/\.\d{3}Z$/, "Z");
    const res = await call("POST", "/v1/api-keys", {
      token: admin.key,
      body: { name: "limited", type: "secret", scopes: ["read:vouchers", "redeem:vouchers"], rate_limit_per_minute: 120, expires_at: expiresAt },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ scopes: ["read:vouchers", "redeem:vouchers"], rate_limit_per_minute: 120, expires_at: expiresAt });
  });

  it("rejects invalid bodies with 400 and details", async () => {
    const { owner } = await newTeam();
    const bad: [unknown, string][] = [
      [{ type: "secret" }, "name"],
      [{ name: "", type: "secret" }, "name"],
      [{ name: "x", type: "agent" }, "type"],
      [{ name: "x" }, "type"],
      [{ name: "x", type: "secret", scopes: ["delete:everything"] }, "scopes"],
      [{ name: "x", type: "secret", scopes: [] }, "scopes"],
      [{ name: "x", type: "secret", rate_limit_per_minute: 0 }, "rate_limit_per_minute"],
      [{ name: "x", type: "secret", rate_limit_per_minute: 1.5 }, "rate_limit_per_minute"],
      [{ name: "x", type: "secret", expires_at: "tomorrow" }, "expires_at"],
      [{ name: "x", type: "secret", expires_at: new Date(Date.now() - 60_000).toISOString() }, "expires_at"],
      [{ name: "x", type: "secret", allowed_origins: ["https://shop.example.com"] }, "allowed_origins"],
      [{ name: "x", type: "secret", secret: "mine" }, "secret"],
    ];
    for (const [body, path] of bad) {
      const res = await call("POST", "/v1/api-keys", { token: owner.accessToken, body });
      expectApiError(res, 400, "invalid_request");
      expect(res.body.details?.map((d: { path: string }) => d.path.split(".")[0]), JSON.stringify(body)).toContain(path);
    }
    expectApiError(await call("POST", "/v1/api-keys", { token: owner.accessToken, rawBody: "{not json" }), 400, "invalid_json");
    expect(await listedIds(owner.accessToken)).toHaveLength(1);
  });

  it("a user in several teams must name one with X-Team-Id; the key then belongs to that team", async () => {
    const a = await newTeam();
    const b = await newTeam();
    const member = await addMember(b.owner.accessToken, b.owner.teamId, "admin"); // also owns a team of their own
    expectApiError(await call("POST", "/v1/api-keys", { token: member.accessToken, body: { name: "x", type: "secret" } }), 400, "team_required");
    const res = await call("POST", "/v1/api-keys", {
      token: member.accessToken,
      headers: { "X-Team-Id": b.owner.teamId },
      body: { name: "for team b", type: "secret" },
    });
    expect(res.status).toBe(201);
    expect(await listedIds(b.admin.key)).toContain(res.body.id);
    expect(await listedIds(a.admin.key)).not.toContain(res.body.id);
  });
});

describe("POST /v1/api-keys — publishable keys", () => {
  it("needs allowed_origins, holds only validate:vouchers, and has the vf_pk_test_ format", async () => {
    const { owner } = await newTeam();
    const missing = await call("POST", "/v1/api-keys", { token: owner.accessToken, body: { name: "storefront", type: "publishable" } });
    expectApiError(missing, 400, "invalid_request");
    expect(missing.body.details.map((d: { path: string }) => d.path)).toContain("allowed_origins");

    for (const scopes of [["read:vouchers"], ["admin"], ["validate:vouchers", "redeem:vouchers"]]) {
      const res = await call("POST", "/v1/api-keys", {
        token: owner.accessToken,
        body: { name: "storefront", type: "publishable", scopes, allowed_origins: [uniqueOrigin()] },
      });
      expectApiError(res, 400, "invalid_request");
    }
    for (const origin of ["https://shop.example.com/checkout", "shop.example.com", "ftp://shop.example.com", "*"]) {
      const res = await call("POST", "/v1/api-keys", {
        token: owner.accessToken,
        body: { name: "storefront", type: "publishable", allowed_origins: [origin] },
      });
      expectApiError(res, 400, "invalid_request");
    }

    const origin = uniqueOrigin();
    const res = await call("POST", "/v1/api-keys", {
      token: owner.accessToken,
      body: { name: "storefront", type: "publishable", allowed_origins: [origin], scopes: ["validate:vouchers"] },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ type: "publishable", scopes: ["validate:vouchers"], allowed_origins: [origin] });
    expect(res.body.key).toMatch(/^vf_pk_test_[0-9A-Za-z]{32}[0-9A-HJKMNP-TV-Z]{52}$/);
    expect(res.body.key.startsWith(res.body.display_key.replace(/…$/, ""))).toBe(true);
  });
});

describe("POST /v1/api-keys/agent", () => {
  it("creates an agent key that expires after 7 days by default", async () => {
    const { owner } = await newTeam();
    const before = Date.now();
    const res = await call("POST", "/v1/api-keys/agent", { token: owner.accessToken, body: { name: "claude", scopes: ["read:vouchers"] } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ type: "agent", scopes: ["read:vouchers"], environment: "staging" });
    expect(res.body.key).toMatch(/^vf_ak_test_[0-9A-Za-z]{32}[0-9A-HJKMNP-TV-Z]{52}$/);
    const expiresAt = Date.parse(res.body.expires_at);
    expect(expiresAt).toBeGreaterThanOrEqual(Math.floor((before + 7 * DAY) / 1000) * 1000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 7 * DAY);
  });

  it("honours ttl_days within 1..90", async () => {
    const { admin } = await newTeam();
    const before = Date.now();
    const res = await call("POST", "/v1/api-keys/agent", { token: admin.key, body: { name: "long", scopes: ["read"], ttl_days: 90 } });
    expect(res.status).toBe(201);
    expect(Date.parse(res.body.expires_at)).toBeGreaterThanOrEqual(Math.floor((before + 90 * DAY) / 1000) * 1000);
    expect(Date.parse(res.body.expires_at)).toBeLessThanOrEqual(Date.now() + 90 * DAY);
    for (const body of [
      { name: "x", scopes: ["read"], ttl_days: 0 },
      { name: "x", scopes: ["read"], ttl_days: 91 },
      { name: "x", scopes: ["read"], ttl_days: 1.5 },
      { name: "x" },
      { name: "x", scopes: [] },
      { name: "x", scopes: ["read"], type: "secret" },
    ]) {
      expectApiError(await call("POST", "/v1/api-keys/agent", { token: admin.key, body }), 400, "invalid_request");
    }
  });

  it("only a secret key or an owner/admin user may create one", async () => {
    const { owner, admin } = await newTeam();
    expect((await call("POST", "/v1/api-keys/agent", { token: admin.key, body: { name: "a", scopes: ["read"] } })).status).toBe(201);
    const teamAdmin = await addMember(owner.accessToken, owner.teamId, "admin");
    const asAdmin = await call("POST", "/v1/api-keys/agent", {
      token: teamAdmin.accessToken,
      headers: { "X-Team-Id": owner.teamId },
      body: { name: "a", scopes: ["read"] },
    });
    expect(asAdmin.status).toBe(201);
    for (const role of ["developer", "viewer"] as const) {
      const member = await addMember(owner.accessToken, owner.teamId, role);
      const res = await call("POST", "/v1/api-keys/agent", {
        token: member.accessToken,
        headers: { "X-Team-Id": owner.teamId },
        body: { name: "a", scopes: ["read"] },
      });
      expectApiError(res, 403, "insufficient_role");
    }
    const agent = await createAgentKey(owner.accessToken, { scopes: ["admin"] });
    expectApiError(await call("POST", "/v1/api-keys/agent", { token: agent.key, body: { name: "a", scopes: ["read"] } }), 403, "key_type_not_allowed");
    const origin = uniqueOrigin();
    const pk = await createKey(owner.accessToken, { type: "publishable", allowed_origins: [origin] });
    const byPk = await call("POST", "/v1/api-keys/agent", { token: pk.key, headers: { Origin: origin }, body: { name: "a", scopes: ["read"] } });
    expectApiError(byPk, 403, "key_type_not_allowed");
  });

  it("agent keys cannot manage keys, even with admin scopes", async () => {
    const { owner, admin } = await newTeam();
    const agent = await createAgentKey(owner.accessToken, { scopes: ["admin"] });
    expectApiError(await call("GET", "/v1/api-keys", { token: agent.key }), 403, "key_type_not_allowed");
    expectApiError(await call("POST", "/v1/api-keys", { token: agent.key, body: { name: "x", type: "secret", scopes: ["read"] } }), 403, "key_type_not_allowed");
    expectApiError(await call("POST", `/v1/api-keys/${admin.id}/rotate`, { token: agent.key, body: {} }), 403, "key_type_not_allowed");
    expectApiError(await call("DELETE", `/v1/api-keys/${admin.id}`, { token: agent.key }), 403, "key_type_not_allowed");
    expect((await probe(admin.key)).status).toBe(200);
  });

  it("cannot be rotated (422 unsupported_operation), only revoked", async () => {
    const { owner, admin } = await newTeam();
    const agent = await createAgentKey(owner.accessToken);
    const before = (await listKeys(admin.key)).data.find((k) => k.id === agent.id);
    const res = await call("POST", `/v1/api-keys/${agent.id}/rotate`, { token: admin.key, body: {} });
    expectApiError(res, 422, "unsupported_operation");
    const after = (await listKeys(admin.key)).data.find((k) => k.id === agent.id);
    expect(after?.display_key).toBe(before?.display_key);
    expect((await call("DELETE", `/v1/api-keys/${agent.id}`, { token: admin.key })).status).toBe(204);
    expect(await listedIds(admin.key)).not.toContain(agent.id);
    expectInvalidKey(await call("GET", "/v1/api-keys", { token: agent.key }));
  });
});

describe("scopes", () => {
  it('a read-only key (["read"]) can list keys but not change them', async () => {
    const { owner, admin } = await newTeam();
    const readOnly = await createKey(owner.accessToken, { scopes: ["read"] });
    const list = await call("GET", "/v1/api-keys", { token: readOnly.key });
    expect(list.status).toBe(200);
    expect(list.body.data.map((k: { id: string }) => k.id)).toContain(admin.id);
    for (const [method, path, body] of [
      ["POST", "/v1/api-keys", { name: "x", type: "secret", scopes: ["read"] }],
      ["POST", "/v1/api-keys/agent", { name: "x", scopes: ["read"] }],
      ["POST", `/v1/api-keys/${admin.id}/rotate`, {}],
      ["DELETE", `/v1/api-keys/${admin.id}`, undefined],
    ] as const) {
      const res = await call(method, path, { token: readOnly.key, body });
      expectApiError(res, 403, "insufficient_scope");
    }
    expect((await probe(admin.key)).status).toBe(200);
    expect(await listedIds(owner.accessToken)).toHaveLength(2);
  });

  it('legacy "write" expands to every read:* and write:* plus validate and redeem', async () => {
    const { owner } = await newTeam();
    const write = await createKey(owner.accessToken, { scopes: ["write"] });
    expect(write.body.scopes).toEqual(["write"]);
    expect((await probe(write.key)).status).toBe(200);
    const minted = await call("POST", "/v1/api-keys", {
      token: write.key,
      body: { name: "child", type: "secret", scopes: ["read:analytics", "write:campaigns", "validate:vouchers", "redeem:vouchers", "write:api_keys"] },
    });
    expect(minted.status, JSON.stringify(minted.body)).toBe(201);
    expect((await call("POST", "/v1/api-keys", { token: write.key, body: { name: "child", type: "secret", scopes: ["read"] } })).status).toBe(201);
  });

  it("a key never mints a key with scopes it does not hold", async () => {
    const { owner } = await newTeam();
    const narrow = await createKey(owner.accessToken, { scopes: ["write:api_keys", "read:vouchers"] });
    for (const scopes of [["write:vouchers"], ["admin"], ["write"], ["read"], ["read:vouchers", "redeem:vouchers"], undefined]) {
      const res = await call("POST", "/v1/api-keys", { token: narrow.key, body: { name: "child", type: "secret", ...(scopes ? { scopes } : {}) } });
      expectApiError(res, 403, "insufficient_scope");
      const agent = await call("POST", "/v1/api-keys/agent", { token: narrow.key, body: { name: "child", scopes: scopes ?? ["admin"] } });
      expectApiError(agent, 403, "insufficient_scope");
    }
    expect(await listedIds(owner.accessToken)).toHaveLength(2);
    const ok = await call("POST", "/v1/api-keys", { token: narrow.key, body: { name: "child", type: "secret", scopes: ["read:vouchers"] } });
    expect(ok.status).toBe(201);
    // Rotating hands out a working secret too: a narrow key cannot rotate a broader one.
    const broad = await createKey(owner.accessToken, { scopes: ["admin"] });
    expectApiError(await call("POST", `/v1/api-keys/${broad.id}/rotate`, { token: narrow.key, body: {} }), 403, "insufficient_scope");
    expect((await probe(broad.key)).status).toBe(200);
  });

  it("a developer cannot mint a key that approves (write:approvals, admin): their role cannot approve", async () => {
    const { owner } = await newTeam();
    const developer = await addMember(owner.accessToken, owner.teamId, "developer");
    const asDeveloper = (body: unknown) => call("POST", "/v1/api-keys", { token: developer.accessToken, headers: { "X-Team-Id": owner.teamId }, body });
    expect((await asDeveloper({ name: "ci", type: "secret", scopes: ["write:vouchers", "read:campaigns"] })).status).toBe(201);
    for (const scopes of [["write:approvals"], ["admin"], ["write"], undefined]) {
      expectForbidden(await asDeveloper({ name: "escalate", type: "secret", ...(scopes ? { scopes } : {}) }));
    }
    expect(await listedIds(owner.accessToken)).toHaveLength(2);
  });

  it("a key never mints a key with a higher rate limit than its own", async () => {
    const { owner } = await newTeam();
    const limited = await createKey(owner.accessToken, { rate_limit_per_minute: 100 });
    for (const extra of [{ rate_limit_per_minute: 101 }, {}]) {
      const res = await call("POST", "/v1/api-keys", { token: limited.key, body: { name: "child", type: "secret", scopes: ["read"], ...extra } });
      expectForbidden(res);
    }
    const ok = await call("POST", "/v1/api-keys", { token: limited.key, body: { name: "child", type: "secret", scopes: ["read"], rate_limit_per_minute: 100 } });
    expect(ok.status).toBe(201);
  });

  it("a key never mints a key that outlives it", async () => {
    const { owner } = await newTeam();
    const parent = await createKey(owner.accessToken, { expires_at: inFuture(2 * DAY) });
    for (const extra of [{ expires_at: inFuture(3 * DAY) }, {}]) {
      const res = await call("POST", "/v1/api-keys", { token: parent.key, body: { name: "child", type: "secret", scopes: ["read"], ...extra } });
      expectForbidden(res);
    }
    const agentTooLong = await call("POST", "/v1/api-keys/agent", { token: parent.key, body: { name: "agent", scopes: ["read"], ttl_days: 7 } });
    expectForbidden(agentTooLong);
    expect(await listedIds(owner.accessToken)).toHaveLength(2);
    expect((await call("POST", "/v1/api-keys", { token: parent.key, body: { name: "c", type: "secret", scopes: ["read"], expires_at: inFuture(DAY) } })).status).toBe(201);
    expect((await call("POST", "/v1/api-keys/agent", { token: parent.key, body: { name: "a", scopes: ["read"], ttl_days: 1 } })).status).toBe(201);
  });
});

describe("POST /v1/api-keys/{id}/rotate", () => {
  it("issues a new secret for the same key; the old one dies at once by default", async () => {
    const { owner, admin } = await newTeam();
    const target = await createKey(owner.accessToken, { name: "to rotate", scopes: ["read"] });
    const res = await call("POST", `/v1/api-keys/${target.id}/rotate`, { token: admin.key });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ id: target.id, name: "to rotate", type: "secret", scopes: ["read"], previous_key_expires_at: null });
    expect(res.body.key).toMatch(/^vf_sk_test_[0-9A-Za-z]{84}$/);
    expect(res.body.key).not.toBe(target.key);
    expect(res.body.key.endsWith(`${owner.teamId.slice(5)}${target.id.slice(4)}`)).toBe(true);
    expect(res.body.key.startsWith(res.body.display_key.replace(/…$/, ""))).toBe(true);

    expectInvalidKey(await probe(target.key));
    expect((await probe(res.body.key)).status).toBe(200);
    const listed = (await listKeys(admin.key)).data.filter((k) => k.id === target.id);
    expect(listed).toHaveLength(1);
    expect(listed[0].display_key).toBe(res.body.display_key);
  });

  it("a key may rotate itself; the answer's secret replaces it", async () => {
    const { admin } = await newTeam();
    const res = await call("POST", `/v1/api-keys/${admin.id}/rotate`, { token: admin.key, body: { expire_old_in_seconds: 0 } });
    expect(res.status).toBe(200);
    expectInvalidKey(await probe(admin.key));
    expect((await probe(res.body.key)).status).toBe(200);
  });

  it("with expire_old_in_seconds the old secret keeps working for the grace period, then stops", async () => {
    const { owner, admin } = await newTeam();
    const target = await createKey(owner.accessToken, { scopes: ["read"] });
    // A grace period long enough for both probes below even on a loaded CI machine; the test then waits it out.
    const GRACE_S = 5;
    const before = Date.now();
    const res = await call("POST", `/v1/api-keys/${target.id}/rotate`, { token: admin.key, body: { expire_old_in_seconds: GRACE_S } });
    const rotatedAt = Date.now();
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(target.id);
    // The grace ends GRACE_S after the rotation (somewhere between before and rotatedAt), shown to the second.
    const graceEnd = Date.parse(res.body.previous_key_expires_at);
    expect(graceEnd).toBeGreaterThanOrEqual(Math.floor((before + GRACE_S * 1000) / 1000) * 1000);
    expect(graceEnd).toBeLessThanOrEqual(rotatedAt + GRACE_S * 1000);

    expect((await probe(target.key)).status).toBe(200);
    expect((await probe(res.body.key)).status).toBe(200);
    await sleep(Math.max(0, rotatedAt + GRACE_S * 1000 - Date.now()) + 500);
    expectInvalidKey(await probe(target.key));
    expect((await probe(res.body.key)).status).toBe(200);
  });

  it("revoking a key in its grace period kills both secrets", async () => {
    const { owner, admin } = await newTeam();
    const target = await createKey(owner.accessToken, { scopes: ["read"] });
    const rotated = await call("POST", `/v1/api-keys/${target.id}/rotate`, { token: admin.key, body: { expire_old_in_seconds: 3600 } });
    expect(rotated.status).toBe(200);
    expect((await probe(target.key)).status).toBe(200);
    expect((await call("DELETE", `/v1/api-keys/${target.id}`, { token: admin.key })).status).toBe(204);
    expectInvalidKey(await probe(target.key));
    expectInvalidKey(await probe(rotated.body.key));
  });

  it("rejects a bad body, and answers 404 for unknown or revoked keys", async () => {
    const { owner, admin } = await newTeam();
    const target = await createKey(owner.accessToken, { scopes: ["read"] });
    for (const body of [{ expire_old_in_seconds: -1 }, { expire_old_in_seconds: 604_801 }, { expire_old_in_seconds: "60" }, { grace: 60 }]) {
      expectApiError(await call("POST", `/v1/api-keys/${target.id}/rotate`, { token: admin.key, body }), 400, "invalid_request");
    }
    expect((await probe(target.key)).status).toBe(200);
    expect((await call("POST", `/v1/api-keys/${target.id}/rotate`, { token: admin.key, body: { expire_old_in_seconds: 604_800 } })).status).toBe(200);
    expectApiError(await call("POST", "/v1/api-keys/key_01JD0000000000000000000000/rotate", { token: admin.key, body: {} }), 404, "not_found");
    expect((await call("DELETE", `/v1/api-keys/${target.id}`, { token: admin.key })).status).toBe(204);
    expectApiError(await call("POST", `/v1/api-keys/${target.id}/rotate`, { token: admin.key, body: {} }), 404, "not_found");
  });
});

describe("DELETE /v1/api-keys/{id}", () => {
  it("revokes: the very next request with the key is 401 and the key leaves the list", async () => {
    const { owner, admin } = await newTeam();
    const target = await createKey(owner.accessToken, { scopes: ["read"] });
    expect((await probe(target.key)).status).toBe(200);
    const res = await call("DELETE", `/v1/api-keys/${target.id}`, { token: admin.key });
    expect(res.status).toBe(204);
    expect(res.headers.get("Request-Id")).toMatch(/^req_/);
    expectInvalidKey(await probe(target.key));
    expectInvalidKey(await call("GET", "/v1/api-keys", { headers: { "X-API-Key": target.key } }));
    expect(await listedIds(admin.key)).not.toContain(target.id);
    expectApiError(await call("DELETE", `/v1/api-keys/${target.id}`, { token: admin.key }), 404, "not_found");
    expectApiError(await call("DELETE", "/v1/api-keys/key_01JD0000000000000000000000", { token: admin.key }), 404, "not_found");
  });

  it("a key may revoke itself", async () => {
    const { admin } = await newTeam();
    expect((await call("DELETE", `/v1/api-keys/${admin.id}`, { token: admin.key })).status).toBe(204);
    expectInvalidKey(await probe(admin.key));
  });
});

describe("GET /v1/api-keys", () => {
  it("pages with limit and cursor, newest first, each key exactly once", async () => {
    const { owner, admin } = await newTeam();
    const created = [admin.id];
    for (let i = 0; i < 5; i++) created.push((await createKey(owner.accessToken, { name: `k${i}`, scopes: ["read"] })).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    const pages: { data: any[]; has_more: boolean; next_cursor: string | null }[] = [];
    do {
      const page = await listKeys(owner.accessToken, `?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      pages.push(page);
      seen.push(...page.data.map((k) => k.id));
      cursor = page.next_cursor;
      expect(page.data.length).toBeLessThanOrEqual(2);
      expect(pages.length).toBeLessThan(10);
    } while (cursor);
    expect(pages.map((p) => p.has_more)).toEqual([true, true, false]);
    expect(pages.at(-1)?.next_cursor).toBeNull();
    expect(seen).toHaveLength(6);
    expect(new Set(seen)).toEqual(new Set(created));
    expect(seen).toEqual([...seen].sort().reverse());
  });

  it("defaults to 20 per page and validates limit", async () => {
    const { owner } = await newTeam();
    for (let i = 0; i < 20; i++) await createKey(owner.accessToken, { name: `k${i}`, scopes: ["read"] });
    const page = await listKeys(owner.accessToken);
    expect(page.data).toHaveLength(20);
    expect(page.has_more).toBe(true);
    expect(page.next_cursor).toBe(page.data[19].id);
    const rest = await listKeys(owner.accessToken, `?cursor=${page.next_cursor}`);
    expect(rest).toMatchObject({ has_more: false, next_cursor: null });
    expect(rest.data).toHaveLength(1);
    for (const limit of ["0", "101", "abc", "-1", "2.5"]) {
      expectApiError(await call("GET", `/v1/api-keys?limit=${limit}`, { token: owner.accessToken }), 400, "invalid_request");
    }
  });

  it("lists only active keys: revoked and expired ones are left out", async () => {
    const { owner, admin } = await newTeam();
    const revoked = await createKey(owner.accessToken, { scopes: ["read"] });
    // Long enough to be listed before it lapses even on a loaded CI machine; the test then waits it out.
    const expiring = await createKey(owner.accessToken, { scopes: ["read"], expires_at: inFuture(5000) });
    const live = await createKey(owner.accessToken, { scopes: ["read"], expires_at: inFuture(DAY) });
    expect(await listedIds(admin.key)).toEqual(expect.arrayContaining([revoked.id, expiring.id, live.id]));
    expect((await call("DELETE", `/v1/api-keys/${revoked.id}`, { token: admin.key })).status).toBe(204);
    await sleep(Math.max(0, Date.parse(expiring.body.expires_at) + 1000 - Date.now()) + 150);
    const ids = await listedIds(admin.key);
    expect(ids).not.toContain(revoked.id);
    expect(ids).not.toContain(expiring.id);
    expect(ids).toEqual(expect.arrayContaining([admin.id, live.id]));
    expectInvalidKey(await probe(expiring.key));
  });
});

describe("tenant isolation", () => {
  it("team B cannot see, rotate or revoke team A's keys (404), and they keep working", async () => {
    const a = await newTeam();
    const b = await newTeam();
    const target = await createKey(a.owner.accessToken, { scopes: ["read"] });
    expect(await listedIds(b.admin.key)).not.toContain(target.id);
    expect(await listedIds(b.owner.accessToken)).not.toContain(a.admin.id);
    for (const token of [b.admin.key, b.owner.accessToken]) {
      expectApiError(await call("POST", `/v1/api-keys/${target.id}/rotate`, { token, body: {} }), 404, "not_found");
      expectApiError(await call("DELETE", `/v1/api-keys/${target.id}`, { token }), 404, "not_found");
    }
    expect((await probe(target.key)).status).toBe(200);
    expect(await listedIds(a.admin.key)).toContain(target.id);
  });
});

describe("publishable keys", () => {
  const VALIDATE_BODY = { customer_id: "cus-42", order: { id: "ord-9", amount: 12000, currency: "EUR" } };

  async function storefront() {
    const team = await newTeam();
    const origin = uniqueOrigin();
    const pk = await createKey(team.owner.accessToken, { type: "publishable", allowed_origins: [origin] });
    return { ...team, origin, pk };
  }

  it("may only call POST /v1/vouchers/{code}/validate: anything else → 403 key_type_not_allowed", async () => {
    const { pk, origin, admin } = await storefront();
    for (const [method, path] of [
      ["GET", "/v1/api-keys"],
      ["POST", "/v1/api-keys"],
      ["DELETE", `/v1/api-keys/${admin.id}`],
      ["GET", "/v1/auth/me"],
      ["POST", "/v1/teams"],
      ["POST", "/v1/vouchers/SUMMER/redeem"],
      ["GET", "/v1/vouchers/SUMMER/validate"],
      ["GET", "/v1/vouchers/SUMMER"],
      ["POST", "/v1/vouchers"],
    ] as const) {
      for (const headers of [{ Origin: origin }, {}] as Record<string, string>[]) {
        const res = await call(method, path, { token: pk.key, headers, body: method === "POST" ? VALIDATE_BODY : undefined });
        expectApiError(res, 403, "key_type_not_allowed");
      }
    }
    expect((await probe(admin.key)).status).toBe(200);
  });

  it("validate from an allowed origin reaches the route (404, no such voucher) with CORS headers for that origin", async () => {
    const { pk, origin } = await storefront();
    const res = await call("POST", "/v1/vouchers/NO-SUCH-CODE/validate", { token: pk.key, headers: { Origin: origin }, body: VALIDATE_BODY });
    expect(res.status, JSON.stringify(res.body)).toBe(404);
    expect(["not_found", "voucher_not_found"]).toContain(res.body.error);
    expectApiError(res, 404, res.body.error);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe(origin);
    expect(res.headers.get("Vary") ?? "").toMatch(/Origin/i);
  });

  it("validate from a disallowed or missing Origin → 403 origin_not_allowed, without CORS for it", async () => {
    const { pk } = await storefront();
    const other = await storefront(); // an origin another key allows is still not this key's
    for (const headers of [{ Origin: "https://evil.example.com" }, { Origin: other.origin }, {}] as Record<string, string>[]) {
      const res = await call("POST", "/v1/vouchers/NO-SUCH-CODE/validate", { token: pk.key, headers, body: VALIDATE_BODY });
      expectApiError(res, 403, "origin_not_allowed");
      expect(res.headers.get("Access-Control-Allow-Origin")).toBeNull();
    }
  });

  it("CORS preflight: allowed origin → 204 with Allow-Origin/Methods/Headers; unknown origin → 403", async () => {
    const { origin } = await storefront();
    const preflight = (o?: string) =>
      call("OPTIONS", "/v1/vouchers/SUMMER/validate", {
        headers: {
          ...(o ? { Origin: o } : {}),
          "Access-Control-Request-Method": "POST",
          "Access-Control-Request-Headers": "authorization, content-type",
        },
      });
    const ok = await preflight(origin);
    expect(ok.status).toBe(204);
    expect(ok.headers.get("Access-Control-Allow-Origin")).toBe(origin);
    expect(ok.headers.get("Access-Control-Allow-Methods") ?? "").toMatch(/\bPOST\b/);
    const allowedHeaders = (ok.headers.get("Access-Control-Allow-Headers") ?? "").toLowerCase();
    expect(allowedHeaders).toContain("authorization");
    expect(allowedHeaders).toContain("content-type");
    expect(ok.headers.get("Request-Id")).toMatch(/^req_/);

    for (const o of [uniqueOrigin(), undefined]) {
      const res = await preflight(o);
      expectApiError(res, 403, "origin_not_allowed");
      expect(res.headers.get("Access-Control-Allow-Origin")).toBeNull();
    }
  });

  it("after the key is revoked, its origin's preflight → 403 and the key → 401", async () => {
    const { pk, origin, admin } = await storefront();
    const preflight = () => call("OPTIONS", "/v1/vouchers/SUMMER/validate", { headers: { Origin: origin, "Access-Control-Request-Method": "POST" } });
    expect((await preflight()).status).toBe(204);
    expect((await call("DELETE", `/v1/api-keys/${pk.id}`, { token: admin.key })).status).toBe(204);
    expectApiError(await preflight(), 403, "origin_not_allowed");
    expectInvalidKey(await call("POST", "/v1/vouchers/NO-SUCH-CODE/validate", { token: pk.key, headers: { Origin: origin }, body: VALIDATE_BODY }));
  });

  it("a preflight stays allowed while another active key still allows the origin", async () => {
    const { owner, admin, origin, pk } = await storefront();
    const second = await createKey(owner.accessToken, { type: "publishable", allowed_origins: [origin] });
    expect((await call("DELETE", `/v1/api-keys/${pk.id}`, { token: admin.key })).status).toBe(204);
    const res = await call("OPTIONS", "/v1/vouchers/SUMMER/validate", { headers: { Origin: origin, "Access-Control-Request-Method": "POST" } });
    expect(res.status).toBe(204);
    const validate = await call("POST", "/v1/vouchers/NO-SUCH-CODE/validate", { token: second.key, headers: { Origin: origin }, body: VALIDATE_BODY });
    expect(validate.status).toBe(404);
  });
});

describe("revocation under concurrency", () => {
  it("20 parallel requests while the key is revoked: every request sent after the DELETE returned is 401", async () => {
    const { owner, admin } = await newTeam();
    const target = await createKey(owner.accessToken, { scopes: ["read"] });
    let revoked = false;
    const sent: { afterRevoke: boolean; answer: Promise<number> }[] = [];
    const send = () => sent.push({ afterRevoke: revoked, answer: probe(target.key).then((r) => r.status) });

    for (let i = 0; i < 8; i++) send();
    const deletion = call("DELETE", `/v1/api-keys/${target.id}`, { token: admin.key }).then((r) => {
      revoked = true;
      return r.status;
    });
    for (let i = 0; i < 6; i++) {
      send();
      await sleep(1);
    }
    expect(await deletion).toBe(204);
    while (sent.length < 20) send();

    const statuses = await Promise.all(sent.map((s) => s.answer));
    statuses.forEach((status, i) => {
      if (sent[i]!.afterRevoke) expect(status, `request ${i}`).toBe(401);
      else expect([200, 401], `request ${i}`).toContain(status);
    });
    expect(sent.filter((s) => s.afterRevoke).length).toBeGreaterThanOrEqual(6);
    expectInvalidKey(await probe(target.key));
  });
});

describe("concurrent rotations and D1's listing copy", () => {
  it("a rotation whose D1 write lands after a later rotation's: D1 keeps the later one's secrets, as the key's object does", async () => {
    const { owner } = await newTeam();
    const key = await createKey(owner.accessToken, { name: "rotated twice" });
    // The first rotation's D1 write is held until the second rotation has answered.
    const held = heldD1({ statement: /^update "api_keys" set "display_key"/i });
    const first = sendWithD1(held.db, "POST", `/v1/api-keys/${key.id}/rotate`, { token: owner.accessToken, body: { expire_old_in_seconds: 3600 } });
    await held.atD1;
    const second = await call("POST", `/v1/api-keys/${key.id}/rotate`, { token: owner.accessToken, body: { expire_old_in_seconds: 3600 } });
    expect(second.status, JSON.stringify(second.body)).toBe(200);
    held.release();
    const firstAnswer = (await first.answer).body as { key: string };
    await first.settled;

    // The object: the second secret is current, the first is in its grace, the original is gone.
    expect((await call("GET", "/v1/vouchers", { token: second.body.key })).status).toBe(200);
    expect((await call("GET", "/v1/vouchers", { token: firstAnswer.key })).status).toBe(200);
    expectInvalidKey(await call("GET", "/v1/vouchers", { token: key.key }));
    // D1's copy says the same, so a key object filled from it again would too.
    const row = await env.DB.prepare("SELECT display_key, secret_hash, previous_secret_hash FROM api_keys WHERE id = ?").bind(key.id).first<Record<string, string>>();
    expect(row).toMatchObject({ secret_hash: await sha256Hex(second.body.key), previous_secret_hash: await sha256Hex(firstAnswer.key) });
    const listed = (await call("GET", "/v1/api-keys", { token: owner.accessToken })).body.data.find((k: { id: string }) => k.id === key.id);
    expect(listed.display_key).toBe(second.body.display_key);
  });
});
