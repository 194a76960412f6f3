// API.md §4: per-credential rate limits, enforced exactly by the credential's Durable Object, with RateLimit
// headers on every authenticated answer and 429 rate_limit_exceeded + Retry-After once the window is spent.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { type Answer, call, createKey, newTeam, signUp } from "../helpers/api";
import { expectApiError } from "../helpers/security";
import { rateHeaders, requestIdOf, uniqueId, waitForAudit } from "../helpers/guarantees";

type Window = { start: number; count: number };
/** The private rate window of a CredentialObject. */
type WithWindow = { window: Window | undefined };

const probe = (token: string) => call("GET", "/v1/api-keys?limit=1", { token });
const burst = (n: number, send: () => Promise<Answer>) => Promise.all(Array.from({ length: n }, send));

function expectRateLimited(res: Answer, limit: number) {
  expectApiError(res, 429, "rate_limit_exceeded");
  const retryAfter = res.headers.get("Retry-After");
  expect(retryAfter).toMatch(/^\d+$/);
  expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
  expect(Number(retryAfter)).toBeLessThanOrEqual(60);
  const h = rateHeaders(res);
  expect(h).toMatchObject({ q: limit, w: 60, r: 0 });
  expect(h.t).toBeGreaterThanOrEqual(1);
  expect(h.t).toBeLessThanOrEqual(60);
}

/** Moves a credential object's window start back, as if `ms` had passed since it opened. */
async function ageWindow(objectName: string, ms: number) {
  const stub = env.CREDENTIALS.get(env.CREDENTIALS.idFromName(objectName));
  await runInDurableObject(stub, async (instance) => {
    const held = instance as unknown as WithWindow;
    if (!held.window) throw new Error(`credential object ${objectName} holds no rate window yet`);
    held.window.start -= ms;
  });
}

describe("rate limit (API.md §4)", () => {
  it("a burst of 25 concurrent requests on a key limited to 10 admits exactly 10; the rest are 429 with Retry-After", async () => {
    const { owner } = await newTeam();
    const key = await createKey(owner.accessToken, { name: "limited", rate_limit_per_minute: 10 });
    const answers = await burst(25, () => probe(key.key));

    const admitted = answers.filter((a) => a.status !== 429);
    const limited = answers.filter((a) => a.status === 429);
    expect(admitted).toHaveLength(10);
    expect(limited).toHaveLength(15);
    for (const a of admitted) {
      expect(a.status, JSON.stringify(a.body)).toBe(200);
      const h = rateHeaders(a);
      expect(h).toMatchObject({ q: 10, w: 60 });
      expect(h.t).toBeGreaterThanOrEqual(1);
      expect(h.t).toBeLessThanOrEqual(60);
    }
    // Each admitted request took one slot: remaining counts 9, 8, …, 0 with no slot handed out twice.
    expect(admitted.map((a) => rateHeaders(a).r).sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const a of limited) expectRateLimited(a, 10);

    // Still spent afterwards: the next request is refused too.
    expectRateLimited(await probe(key.key), 10);

    // Every 429 is a denied request of that key, so each one is in the key's audit log.
    const ids = limited.map(requestIdOf);
    const log = await waitForAudit(owner.accessToken, key.id, ids);
    const byId = new Map(log.map((e) => [e.request_id, e]));
    for (const id of ids) expect(byId.get(id)).toMatchObject({ request_id: id, method: "GET", path: "/v1/api-keys", status: 429 });
  });

  it("every authenticated answer carries RateLimit-Policy and RateLimit, success and error alike, with r counting down", async () => {
    const { owner } = await newTeam();
    const key = await createKey(owner.accessToken, { name: "read only", scopes: ["read"], rate_limit_per_minute: 50 });
    const answers: [Answer, number][] = [
      [await probe(key.key), 200],
      [await call("GET", "/v1/api-keys?limit=0", { token: key.key }), 400],
      [await call("POST", "/v1/customers", { token: key.key, body: { id: uniqueId() } }), 403],
      [await call("GET", "/v1/api-keys/key_01JD0000000000000000000000/audit-log", { token: key.key }), 404],
      [await call("GET", "/v1/no-such-route", { token: key.key }), 404],
    ];
    let expected = 49;
    for (const [res, status] of answers) {
      expect(res.status, JSON.stringify(res.body)).toBe(status);
      const h = rateHeaders(res);
      expect(h).toMatchObject({ q: 50, w: 60, r: expected });
      expect(h.t).toBeGreaterThanOrEqual(1);
      expect(h.t).toBeLessThanOrEqual(60);
      expected -= 1;
    }
    // A successful write carries them too.
    const owned = await createKey(owner.accessToken, { name: "writer", rate_limit_per_minute: 50 });
    const created = await call("POST", "/v1/customers", { token: owned.key, body: { id: uniqueId() } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(rateHeaders(created)).toMatchObject({ q: 50, w: 60, r: 49 });
  });

  it("a key that sets no limit gets this staging deployment's default of 500, enforced exactly", async () => {
    const { owner } = await newTeam();
    const key = await createKey(owner.accessToken, { name: "default limit" });
    expect(key.body.rate_limit_per_minute).toBeNull();
    const first = await probe(key.key);
    expect(first.status).toBe(200);
    expect(rateHeaders(first)).toMatchObject({ q: 500, w: 60, r: 499 });

    const answers = await burst(510, () => probe(key.key));
    const admitted = answers.filter((a) => a.status !== 429);
    expect(admitted).toHaveLength(499);
    for (const a of admitted) expect(a.status).toBe(200);
    for (const a of answers.filter((a) => a.status === 429)) expectRateLimited(a, 500);
  });

  it("rate_limit_per_minute overrides the default, per key", async () => {
    const { owner } = await newTeam();
    const three = await createKey(owner.accessToken, { name: "three", rate_limit_per_minute: 3 });
    const seven = await createKey(owner.accessToken, { name: "seven", rate_limit_per_minute: 7 });
    for (let i = 0; i < 3; i++) {
      const res = await probe(three.key);
      expect(res.status).toBe(200);
      expect(rateHeaders(res)).toMatchObject({ q: 3, r: 2 - i });
    }
    expectRateLimited(await probe(three.key), 3);
    const res = await probe(seven.key);
    expect(res.status).toBe(200);
    expect(rateHeaders(res)).toMatchObject({ q: 7, w: 60, r: 6 });
  });

  it("keys are limited independently: exhausting key A leaves key B (same team) untouched", async () => {
    const { owner, admin } = await newTeam();
    const a = await createKey(owner.accessToken, { name: "A", rate_limit_per_minute: 2 });
    const b = await createKey(owner.accessToken, { name: "B", rate_limit_per_minute: 2 });
    await burst(5, () => probe(a.key));
    expectRateLimited(await probe(a.key), 2);

    const fromB = await probe(b.key);
    expect(fromB.status).toBe(200);
    expect(rateHeaders(fromB)).toMatchObject({ q: 2, r: 1 });
    const fromAdmin = await probe(admin.key);
    expect(fromAdmin.status).toBe(200);
    expect(rateHeaders(fromAdmin).q).toBe(500);
    // The team's owner (a user) is limited separately too.
    expect((await call("GET", "/v1/auth/me", { token: owner.accessToken })).status).toBe(200);
  });

  it("dashboard users (JWT) are limited per user, across sessions, at the default limit", async () => {
    const user = await signUp();
    const other = await signUp();
    const me = (token: string) => call("GET", "/v1/auth/me", { token });
    const first = await me(user.accessToken);
    expect(first.status).toBe(200);
    expect(rateHeaders(first)).toMatchObject({ q: 500, w: 60, r: 499 });

    // The rest of the window, at once: exactly 499 more are admitted.
    const answers = await burst(505, () => me(user.accessToken));
    expect(answers.filter((a) => a.status !== 429)).toHaveLength(499);
    for (const a of answers.filter((a) => a.status === 429)) expectRateLimited(a, 500);

    // A second session of the same user shares the window.
    const login = await call("POST", "/v1/auth/login", { body: { email: user.email, password: user.password } });
    expect(login.status).toBe(200);
    expectRateLimited(await me(login.body.access_token), 500);

    // Another user is not affected.
    const fromOther = await me(other.accessToken);
    expect(fromOther.status).toBe(200);
    expect(rateHeaders(fromOther)).toMatchObject({ q: 500, r: 499 });
  });

  /** Drops the object's memory (window and key state) as a restart would; storage is all that remains. */
  const restart = (keyId: string) =>
    runInDurableObject(env.CREDENTIALS.get(env.CREDENTIALS.idFromName(keyId)), async (instance) => {
      const held = instance as unknown as WithWindow & { state: unknown };
      held.window = undefined;
      held.state = undefined;
    });

  it("an object that restarts at once (no wait for any write) never admits more than the limit, and under-admits by at most a block", async () => {
    const { owner } = await newTeam();
    const limit = 40;
    const key = await createKey(owner.accessToken, { name: "restarts", rate_limit_per_minute: limit });
    for (let i = 0; i < 3; i++) expect((await probe(key.key)).status).toBe(200);
    await restart(key.id);
    const after = await burst(limit + 5, () => probe(key.key));
    const admitted = 3 + after.filter((a) => a.status === 200).length;
    expect(after.every((a) => a.status === 200 || a.status === 429)).toBe(true);
    expect(admitted).toBeLessThanOrEqual(limit);
    // Blocks of limit/20 are reserved ahead: a restart forfeits at most one block.
    expect(admitted).toBeGreaterThanOrEqual(limit - Math.ceil(limit / 20));
  });

  it("restarting after every request still admits no more than the limit", async () => {
    const { owner } = await newTeam();
    const key = await createKey(owner.accessToken, { name: "restarts often", rate_limit_per_minute: 5 });
    let admitted = 0;
    for (let i = 0; i < 8; i++) {
      if ((await probe(key.key)).status === 200) admitted += 1;
      await restart(key.id);
    }
    expect(admitted).toBe(5);
    expectRateLimited(await probe(key.key), 5);
  });

  it("the window resets after 60 s: requests are admitted again with r back at limit − 1", async () => {
    const { owner } = await newTeam();
    const key = await createKey(owner.accessToken, { name: "resets", rate_limit_per_minute: 3 });
    for (let i = 0; i < 3; i++) expect((await probe(key.key)).status).toBe(200);
    expectRateLimited(await probe(key.key), 3);

    // Not quite a minute later the window is still spent.
    await ageWindow(key.id, 30_000);
    expectRateLimited(await probe(key.key), 3);

    // 61 s after the window opened, a new one starts.
    await ageWindow(key.id, 31_000);
    const again = await probe(key.key);
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    const h = rateHeaders(again);
    expect(h).toMatchObject({ q: 3, w: 60, r: 2 });
    expect(h.t).toBeGreaterThanOrEqual(50);
    expect(h.t).toBeLessThanOrEqual(60);
    expect(rateHeaders(await probe(key.key)).r).toBe(1);
    expect(rateHeaders(await probe(key.key)).r).toBe(0);
    expectRateLimited(await probe(key.key), 3);
  });
});
