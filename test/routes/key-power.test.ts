// API.md §2: a credential never mints, rotates or revokes a key holding scopes it lacks (admin is held only by
// admin), and an unset rate limit means the environment's default on both sides of that comparison.
import { describe, expect, it } from "vitest";
import { addMember, call, createKey, newTeam } from "../helpers/api";
import { expectApiError } from "../helpers/security";

const mint = (token: string, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  call("POST", "/v1/api-keys", { token, body: { name: "minted", type: "secret", ...body }, headers });

describe("key power (API.md §2)", () => {
  it("a write key cannot mint an admin key, nor a key left at the default admin scopes", async () => {
    const { owner } = await newTeam();
    const writer = await createKey(owner.accessToken, { name: "writer", scopes: ["write"] });
    const explicit = await mint(writer.key, { scopes: ["admin"] });
    expectApiError(explicit, 403, "insufficient_scope");
    expect(explicit.body.message).toContain("admin");
    expectApiError(await mint(writer.key, {}), 403, "insufficient_scope");
    // What it holds it may hand out.
    expect((await mint(writer.key, { scopes: ["write"] })).status).toBe(201);
    expect((await mint(writer.key, { scopes: ["read:vouchers", "redeem:vouchers"] })).status).toBe(201);
  });

  it("an admin key and an owner or admin user may mint admin keys; a developer may not", async () => {
    const { owner, admin } = await newTeam();
    expect((await mint(admin.key, { scopes: ["admin"] })).status).toBe(201);
    expect((await mint(owner.accessToken, { scopes: ["admin"] })).status).toBe(201);
    const teamAdmin = await addMember(owner.accessToken, owner.teamId, "admin");
    expect((await mint(teamAdmin.accessToken, { scopes: ["admin"] }, { "X-Team-Id": owner.teamId })).status).toBe(201);
    const developer = await addMember(owner.accessToken, owner.teamId, "developer");
    expectApiError(await mint(developer.accessToken, { scopes: ["admin"] }, { "X-Team-Id": owner.teamId }), 403, "insufficient_scope");
  });

  it("a write:api_keys key cannot revoke or rotate an admin key; the admin key keeps working", async () => {
    const { owner, admin } = await newTeam();
    const manager = await createKey(owner.accessToken, { name: "manager", scopes: ["read:api_keys", "write:api_keys"] });
    const revoke = await call("DELETE", `/v1/api-keys/${admin.id}`, { token: manager.key });
    expectApiError(revoke, 403, "insufficient_scope");
    expectApiError(await call("POST", `/v1/api-keys/${admin.id}/rotate`, { token: manager.key }), 403, "insufficient_scope");
    expect((await call("GET", "/v1/api-keys?limit=1", { token: admin.key })).status).toBe(200);
    // A write key (everything but admin) cannot either.
    const writer = await createKey(owner.accessToken, { name: "writer", scopes: ["write"] });
    expectApiError(await call("DELETE", `/v1/api-keys/${admin.id}`, { token: writer.key }), 403, "insufficient_scope");
  });

  it("a key revokes and rotates keys whose scopes it holds", async () => {
    const { owner } = await newTeam();
    const manager = await createKey(owner.accessToken, { name: "manager", scopes: ["read:api_keys", "write:api_keys", "read:vouchers"] });
    const narrow = await createKey(owner.accessToken, { name: "narrow", scopes: ["read:vouchers"] });
    const wider = await createKey(owner.accessToken, { name: "wider", scopes: ["read:vouchers", "write:vouchers"] });
    const rotated = await call("POST", `/v1/api-keys/${narrow.id}/rotate`, { token: manager.key });
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
    expect((await call("DELETE", `/v1/api-keys/${narrow.id}`, { token: manager.key })).status).toBe(204);
    const refused = await call("DELETE", `/v1/api-keys/${wider.id}`, { token: manager.key });
    expectApiError(refused, 403, "insufficient_scope");
    expect(refused.body.message).toContain("write:vouchers");
  });

  it("an unset rate limit is the environment default: a key at or above it may mint keys that leave it unset", async () => {
    const { owner } = await newTeam();
    // Tests run as staging, whose default is 500 requests a minute.
    for (const limit of [500, 800]) {
      const parent = await createKey(owner.accessToken, { name: `limit ${limit}`, rate_limit_per_minute: limit });
      const child = await mint(parent.key, {});
      expect(child.status, JSON.stringify(child.body)).toBe(201);
      expect(child.body.rate_limit_per_minute).toBeNull();
    }
    const below = await createKey(owner.accessToken, { name: "limit 499", rate_limit_per_minute: 499 });
    expectApiError(await mint(below.key, {}), 403, "insufficient_scope");
    expectApiError(await mint(below.key, { rate_limit_per_minute: 500 }), 403, "insufficient_scope");
    expect((await mint(below.key, { rate_limit_per_minute: 499 })).status).toBe(201);
    // A key without a limit may not mint one above the default.
    const unset = await createKey(owner.accessToken, { name: "unset" });
    expectApiError(await mint(unset.key, { rate_limit_per_minute: 501 }), 403, "insufficient_scope");
    expect((await mint(unset.key, { rate_limit_per_minute: 500 })).status).toBe(201);
  });
});
