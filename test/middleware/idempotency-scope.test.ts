// API.md §3: an Idempotency-Key belongs to the credential that sends it, a replay is authorized like a new
// request, and stored answers that carry a secret are never kept as plaintext.
import { env, listDurableObjectIds, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { addMember, type Answer, call, createKey, newTeam, signUp } from "../helpers/api";
import { expectApiError, expectInvalidKey } from "../helpers/security";

const idemKey = () => `scope-${crypto.randomUUID()}`;
const withKey = (key: string) => ({ "Idempotency-Key": key });
const replayed = (res: Answer) => res.headers.get("Idempotent-Replayed") === "true";

const mintAdminKey = (token: string, key: string, headers: Record<string, string> = {}) =>
  call("POST", "/v1/api-keys", { token, body: { name: "minted", type: "secret", scopes: ["admin"] }, headers: { ...headers, ...withKey(key) } });

describe("Idempotency-Key is scoped to the credential (API.md §3)", () => {
  it("a read-only key of the same team replaying an admin's key and body gets 403, never the minted key", async () => {
    const { owner, admin } = await newTeam();
    const readOnly = await createKey(owner.accessToken, { name: "read only", scopes: ["read"] });
    const key = idemKey();
    const first = await mintAdminKey(admin.key, key);
    expect(first.status, JSON.stringify(first.body)).toBe(201);

    const attack = await mintAdminKey(readOnly.key, key);
    expectApiError(attack, 403, "insufficient_scope");
    expect(replayed(attack)).toBe(false);
    expect(JSON.stringify(attack.body)).not.toContain(first.body.key);
    // The admin's own retry still replays.
    const again = await mintAdminKey(admin.key, key);
    expect(replayed(again)).toBe(true);
    expect(again.body.key).toBe(first.body.key);
  });

  it("the same key value from two credentials of one team runs twice: two keys are minted", async () => {
    const { owner, admin } = await newTeam();
    const second = await createKey(owner.accessToken, { name: "second admin" });
    const key = idemKey();
    const a = await mintAdminKey(admin.key, key);
    const b = await mintAdminKey(second.key, key);
    const c = await mintAdminKey(owner.accessToken, key);
    for (const res of [a, b, c]) expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(new Set([a.body.id, b.body.id, c.body.id]).size).toBe(3);
    expect([a, b, c].some(replayed)).toBe(false);
  });

  it("a rotated key keeps its Idempotency-Keys: the new secret replays what the old one stored", async () => {
    const { owner } = await newTeam();
    const caller = await createKey(owner.accessToken, { name: "rotates" });
    const key = idemKey();
    const first = await mintAdminKey(caller.key, key);
    expect(first.status).toBe(201);
    const rotated = await call("POST", `/v1/api-keys/${caller.id}/rotate`, { token: owner.accessToken });
    expect(rotated.status).toBe(200);
    const again = await mintAdminKey(rotated.body.key, key);
    expect(replayed(again)).toBe(true);
    expect(again.body.id).toBe(first.body.id);
  });

  it("a revoked key replaying its own request gets 401", async () => {
    const { owner } = await newTeam();
    const caller = await createKey(owner.accessToken, { name: "to revoke" });
    const key = idemKey();
    expect((await mintAdminKey(caller.key, key)).status).toBe(201);
    expect((await call("DELETE", `/v1/api-keys/${caller.id}`, { token: owner.accessToken })).status).toBe(204);
    expectInvalidKey(await mintAdminKey(caller.key, key));
  });

  it("replays spend the rate limit like new requests: past the limit a replay is 429", async () => {
    const { owner } = await newTeam();
    const caller = await createKey(owner.accessToken, { name: "limited", rate_limit_per_minute: 3 });
    const key = idemKey();
    const body = { id: `cus-${crypto.randomUUID()}` };
    const create = () => call("POST", "/v1/customers", { token: caller.key, body, headers: withKey(key) });
    expect((await create()).status).toBe(201);
    expect(replayed(await create())).toBe(true);
    expect(replayed(await create())).toBe(true);
    expectApiError(await create(), 429, "rate_limit_exceeded");
  });

  it("a user narrowed from admin to viewer replaying their own request gets 403, never the stored key", async () => {
    const { owner } = await newTeam();
    const member = await addMember(owner.accessToken, owner.teamId, "admin");
    const key = idemKey();
    const asMember = { "X-Team-Id": owner.teamId };
    const first = await mintAdminKey(member.accessToken, key, asMember);
    expect(first.status, JSON.stringify(first.body)).toBe(201);

    const removed = await call("DELETE", `/v1/teams/${owner.teamId}/members/${member.userId}`, { token: owner.accessToken });
    expect(removed.status).toBe(204);
    const readded = await call("POST", `/v1/teams/${owner.teamId}/members`, { token: owner.accessToken, body: { email: member.email, role: "viewer" } });
    expect(readded.status).toBe(201);

    const replay = await mintAdminKey(member.accessToken, key, asMember);
    expectApiError(replay, 403, "insufficient_role");
    expect(JSON.stringify(replay.body)).not.toContain(first.body.key);
  });

  it("a user's key names one team: the same key sent for another team is a mismatch, and nothing is created there", async () => {
    const { owner } = await newTeam();
    const second = await call("POST", "/v1/teams", { token: owner.accessToken, body: { name: "Second" } });
    expect(second.status).toBe(201);
    const key = idemKey();
    const inFirst = await mintAdminKey(owner.accessToken, key, { "X-Team-Id": owner.teamId });
    expect(inFirst.status).toBe(201);
    expectApiError(await mintAdminKey(owner.accessToken, key, { "X-Team-Id": second.body.id }), 422, "idempotency_key_mismatch");
    const list = await call("GET", "/v1/api-keys?limit=100", { token: owner.accessToken, headers: { "X-Team-Id": second.body.id } });
    expect(list.body.data).toEqual([]);
    // In its own team the retry replays.
    expect(replayed(await mintAdminKey(owner.accessToken, key, { "X-Team-Id": owner.teamId }))).toBe(true);
  });

  it("a refusal is not kept: once the user may make the call, the same key runs it", async () => {
    const { owner } = await newTeam();
    const member = await addMember(owner.accessToken, owner.teamId, "viewer");
    const key = idemKey();
    const asMember = { "X-Team-Id": owner.teamId };
    expectApiError(await mintAdminKey(member.accessToken, key, asMember), 403, "insufficient_role");
    await call("DELETE", `/v1/teams/${owner.teamId}/members/${member.userId}`, { token: owner.accessToken });
    await call("POST", `/v1/teams/${owner.teamId}/members`, { token: owner.accessToken, body: { email: member.email, role: "admin" } });
    const retry = await mintAdminKey(member.accessToken, key, asMember);
    expect(retry.status, JSON.stringify(retry.body)).toBe(201);
    expect(replayed(retry)).toBe(false);
  });

  it("user-only writes (POST /v1/teams, add member) replay for the same user", async () => {
    const { owner } = await newTeam();
    const key = idemKey();
    const first = await call("POST", "/v1/teams", { token: owner.accessToken, body: { name: "Once" }, headers: withKey(key) });
    const again = await call("POST", "/v1/teams", { token: owner.accessToken, body: { name: "Once" }, headers: withKey(key) });
    expect(first.status).toBe(201);
    expect(replayed(again)).toBe(true);
    expect(again.body).toEqual(first.body);
    const newcomer = await signUp("Newcomer");
    const add = () =>
      call("POST", `/v1/teams/${owner.teamId}/members`, { token: owner.accessToken, body: { email: newcomer.email, role: "viewer" }, headers: withKey(`${key}-m`) });
    const added = await add();
    expect(added.status).toBe(201);
    const addedAgain = await add();
    expect(replayed(addedAgain)).toBe(true);
    expect(addedAgain.status).toBe(201);
  });

  it("stored answers are sealed: the object's storage holds no plaintext key, and no secret fragment", async () => {
    const { admin } = await newTeam();
    const key = idemKey();
    const first = await mintAdminKey(admin.key, key);
    expect(first.status).toBe(201);
    const plaintext: string = first.body.key;
    const secretPart = plaintext.slice("vf_sk_test_".length, "vf_sk_test_".length + 24);
    const stub = env.IDEMPOTENCY.get(env.IDEMPOTENCY.idFromName(`key:${admin.id}\n${key}`));
    const stored = await runInDurableObject(stub, async (_instance, state) => JSON.stringify([...(await state.storage.list()).entries()]));
    expect(stored).toContain("v1.");
    expect(stored).not.toContain(plaintext);
    expect(stored).not.toContain(secretPart);
    expect(stored).not.toContain(first.body.id);
    // And the replay still hands the real key back.
    expect((await mintAdminKey(admin.key, key)).body.key).toBe(plaintext);
    expect((await listDurableObjectIds(env.IDEMPOTENCY)).length).toBeGreaterThan(0);
  });
});

describe("Idempotency-Key on sign-up, login and refresh (no credential)", () => {
  it("two people using the same key value never share answers: each login gets its own tokens", async () => {
    const alice = await signUp();
    const bob = await signUp();
    const key = idemKey();
    const login = (who: { email: string; password: string }) => call("POST", "/v1/auth/login", { body: { email: who.email, password: who.password }, headers: withKey(key) });
    const a = await login(alice);
    const b = await login(bob);
    expect(a.status).toBe(200);
    expect(b.status, JSON.stringify(b.body)).toBe(200);
    expect(replayed(b)).toBe(false);
    expect(b.body.access_token).not.toBe(a.body.access_token);
    // The same person's retry replays their own answer.
    const again = await login(alice);
    expect(replayed(again)).toBe(true);
    expect(again.body.refresh_token).toBe(a.body.refresh_token);
  });

  it("a wrong password with someone's key and email neither replays nor tells a mismatch: it is a failed login", async () => {
    const alice = await signUp();
    const key = idemKey();
    const ok = await call("POST", "/v1/auth/login", { body: { email: alice.email, password: alice.password }, headers: withKey(key) });
    expect(ok.status).toBe(200);
    const guess = await call("POST", "/v1/auth/login", { body: { email: alice.email, password: "not the password" }, headers: withKey(key) });
    expectApiError(guess, 401, "invalid_credentials");
  });

  it("refresh with a key replays the new pair instead of tripping reuse detection", async () => {
    const alice = await signUp();
    const key = idemKey();
    const refresh = () => call("POST", "/v1/auth/refresh", { body: { refresh_token: alice.refreshToken }, headers: withKey(key) });
    const first = await refresh();
    expect(first.status).toBe(200);
    const retry = await refresh();
    expect(replayed(retry)).toBe(true);
    expect(retry.body.refresh_token).toBe(first.body.refresh_token);
    // The family is still alive: the new refresh token works.
    const next = await call("POST", "/v1/auth/refresh", { body: { refresh_token: first.body.refresh_token } });
    expect(next.status).toBe(200);
  });

  it("a refresh replayed after the pair it gave was used is a spent token shown again: 401, and the session ends", async () => {
    const alice = await signUp();
    const key = idemKey();
    const refresh = () => call("POST", "/v1/auth/refresh", { body: { refresh_token: alice.refreshToken }, headers: withKey(key) });
    const first = await refresh();
    expect(first.status).toBe(200);
    const next = await call("POST", "/v1/auth/refresh", { body: { refresh_token: first.body.refresh_token } });
    expect(next.status).toBe(200);
    const late = await refresh();
    expectApiError(late, 401, "invalid_refresh_token");
    expect(late.body.access_token).toBeUndefined();
    // Reuse detection ended the family: the newest pair is dead too.
    expectApiError(await call("GET", "/v1/auth/me", { token: next.body.access_token }), 401, "invalid_api_key");
    expectApiError(await call("POST", "/v1/auth/refresh", { body: { refresh_token: next.body.refresh_token } }), 401, "invalid_refresh_token");
  });

  it("a refresh replayed after logout: 401, never the stored tokens", async () => {
    const alice = await signUp();
    const key = idemKey();
    const refresh = () => call("POST", "/v1/auth/refresh", { body: { refresh_token: alice.refreshToken }, headers: withKey(key) });
    const first = await refresh();
    expect(first.status).toBe(200);
    const out = await call("POST", "/v1/auth/logout", { token: first.body.access_token, body: { refresh_token: first.body.refresh_token } });
    expect(out.status).toBe(204);
    const late = await refresh();
    expectApiError(late, 401, "invalid_refresh_token");
    expect(JSON.stringify(late.body)).not.toContain(first.body.access_token);
  });
});
