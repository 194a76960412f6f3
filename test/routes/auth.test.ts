// Dashboard accounts (API.md §2 "Dashboard users"): sign-up, login, refresh rotation with reuse detection,
// logout, me, and the pinned JWT algorithm.
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { sign } from "hono/jwt";
import { describe, expect, it } from "vitest";
import { buildApp } from "../../src/app";
import { call, expectError, signUp, uniqueEmail, type Answer } from "../helpers/api";

const PASSWORD = "correct horse battery";

const login = (email: string, password = PASSWORD) => call("POST", "/v1/auth/login", { body: { email, password } });
const refresh = (refresh_token: string) => call("POST", "/v1/auth/refresh", { body: { refresh_token } });
const me = (token: string) => call("GET", "/v1/auth/me", { token });

/** The body without its per-request id, for comparing two answers. */
const withoutRequestId = (res: Answer) => {
  const { request_id: _ignored, ...rest } = res.body;
  return rest;
};

const base64url = (value: unknown) =>
  btoa(JSON.stringify(value)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");

const claimsOf = (token: string) => {
  const part = token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/");
  return JSON.parse(atob(part)) as Record<string, unknown>;
};

describe("POST /v1/auth/signup", () => {
  it("creates the user, an owned team and a token pair", async () => {
    const email = uniqueEmail();
    const res = await call("POST", "/v1/auth/signup", { body: { email, password: PASSWORD, team_name: "Acme" } });
    expect(res.status).toBe(201);
    expect(res.body.user).toMatchObject({ object: "user", email });
    expect(res.body.user.id).toMatch(/^usr_/);
    expect(res.body.user).not.toHaveProperty("password_hash");
    expect(JSON.stringify(res.body)).not.toContain(PASSWORD);
    expect(res.body.team).toMatchObject({ object: "team", name: "Acme", role: "owner" });
    expect(res.body.team.id).toMatch(/^team_/);
    expect(res.body.expires_in).toBe(900);
    expect(typeof res.body.access_token).toBe("string");
    expect(res.body.access_token.split(".")).toHaveLength(3);
    expect(typeof res.body.refresh_token).toBe("string");
    expect(res.body.refresh_token.length).toBeGreaterThan(20);
    expect(res.headers.get("Request-Id")).toMatch(/^req_/);

    const who = await me(res.body.access_token);
    expect(who.status).toBe(200);
    expect(who.body.user.id).toBe(res.body.user.id);
    expect(who.body.teams).toEqual([expect.objectContaining({ id: res.body.team.id, name: "Acme", role: "owner" })]);
  });

  it("treats emails case-insensitively: a differently-cased duplicate is 409 email_taken", async () => {
    const email = uniqueEmail();
    const first = await call("POST", "/v1/auth/signup", { body: { email, password: PASSWORD, team_name: "One" } });
    expect(first.status).toBe(201);
    const again = await call("POST", "/v1/auth/signup", {
      body: { email: email.toUpperCase(), password: "another password!", team_name: "Two" },
    });
    expectError(again, 409, "email_taken");
    const exact = await call("POST", "/v1/auth/signup", { body: { email, password: PASSWORD, team_name: "Three" } });
    expectError(exact, 409, "email_taken");
    // The original account is untouched and reachable with any casing.
    const res = await login(email.toUpperCase());
    expect(res.status).toBe(200);
    expect(res.body.user.id).toBe(first.body.user.id);
  });

  it("rejects a password shorter than 10 characters with details naming password", async () => {
    const email = uniqueEmail();
    const res = await call("POST", "/v1/auth/signup", { body: { email, password: "short", team_name: "Acme" } });
    expectError(res, 400, "invalid_request");
    expect(res.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ path: "password" })]));
    // Nothing was created.
    expectError(await login(email, "short"), 401, "invalid_credentials");
  });

  it("accepts a password of exactly 10 characters", async () => {
    const email = uniqueEmail();
    const res = await call("POST", "/v1/auth/signup", { body: { email, password: "0123456789", team_name: "Acme" } });
    expect(res.status).toBe(201);
  });

  it("rejects an unknown field with details naming it", async () => {
    const res = await call("POST", "/v1/auth/signup", {
      body: { email: uniqueEmail(), password: PASSWORD, team_name: "Acme", is_admin: true },
    });
    expectError(res, 400, "invalid_request");
    expect(res.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ path: "is_admin" })]));
  });

  it("answers 403 signup_disabled when the deployment turns sign-up off", async () => {
    const email = uniqueEmail();
    const ctx = createExecutionContext();
    const res = await buildApp().request(
      "/v1/auth/signup",
      {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ email, password: PASSWORD, team_name: "Acme" }),
      },
      { ...env, SIGNUP_ENABLED: "false" },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    const body = (await res.json()) as Record<string, unknown>;
    expect(res.status).toBe(403);
    expect(body.error).toBe("signup_disabled");
    expect(body.request_id).toMatch(/^req_/);
    expect(res.headers.get("Request-Id")).toBe(body.request_id);
    // No account was created.
    expectError(await login(email), 401, "invalid_credentials");
  });
});

describe("POST /v1/auth/login", () => {
  it("logs in with the right password and returns a working token pair", async () => {
    const account = await signUp();
    const res = await login(account.email);
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ id: account.userId, email: account.email });
    expect(res.body.expires_in).toBe(900);
    expect(res.body.access_token).not.toBe(account.accessToken);
    expect(res.body.refresh_token).not.toBe(account.refreshToken);
    const who = await me(res.body.access_token);
    expect(who.status).toBe(200);
    expect(who.body.user.id).toBe(account.userId);
    expect((await refresh(res.body.refresh_token)).status).toBe(200);
  });

  it("answers a wrong password and an unknown email identically: 401 invalid_credentials", async () => {
    const account = await signUp();
    const wrongPassword = await login(account.email, "not the right password");
    const unknownEmail = await login(uniqueEmail(), "not the right password");
    expectError(wrongPassword, 401, "invalid_credentials");
    expectError(unknownEmail, 401, "invalid_credentials");
    expect(withoutRequestId(wrongPassword)).toEqual(withoutRequestId(unknownEmail));
    expect(wrongPassword.body.request_id).not.toBe(unknownEmail.body.request_id);
    expect(JSON.stringify(wrongPassword.body)).not.toContain("access_token");
  });
});

describe("POST /v1/auth/refresh", () => {
  it("rotates: the new pair works and the old refresh token is spent", async () => {
    const account = await signUp();
    const first = await refresh(account.refreshToken);
    expect(first.status).toBe(200);
    expect(first.body.expires_in).toBe(900);
    expect(first.body.refresh_token).not.toBe(account.refreshToken);
    expect((await me(first.body.access_token)).status).toBe(200);

    const second = await refresh(first.body.refresh_token);
    expect(second.status).toBe(200);
    expect(second.body.refresh_token).not.toBe(first.body.refresh_token);
    expect((await me(second.body.access_token)).status).toBe(200);
  });

  it("detects reuse: a spent token is refused and revokes the whole family", async () => {
    const account = await signUp();
    const rotated = await refresh(account.refreshToken);
    expect(rotated.status).toBe(200);
    expect((await me(rotated.body.access_token)).status).toBe(200);

    const reused = await refresh(account.refreshToken);
    expectError(reused, 401, "invalid_refresh_token");

    // The family is gone: the newest refresh token and every access token of the session are refused.
    expectError(await refresh(rotated.body.refresh_token), 401, "invalid_refresh_token");
    expectError(await me(rotated.body.access_token), 401, "invalid_api_key");
    expectError(await me(account.accessToken), 401, "invalid_api_key");

    // Other sessions of the same user are unaffected.
    const other = await login(account.email);
    expect(other.status).toBe(200);
    expect((await me(other.body.access_token)).status).toBe(200);
  });

  it("lets exactly one of five concurrent refreshes of one token succeed", async () => {
    const account = await signUp();
    const results = await Promise.all(Array.from({ length: 5 }, () => refresh(account.refreshToken)));
    const ok = results.filter((r) => r.status === 200);
    expect(ok).toHaveLength(1);
    for (const r of results.filter((r) => r.status !== 200)) expectError(r, 401, "invalid_refresh_token");
  });

  it("refuses an unknown refresh token", async () => {
    expectError(await refresh("vf_rt_this-token-was-never-issued-by-anyone"), 401, "invalid_refresh_token");
  });
});

describe("POST /v1/auth/logout", () => {
  it("ends that session only: its access and refresh tokens stop working, another session keeps working", async () => {
    const account = await signUp();
    const second = await login(account.email);
    expect(second.status).toBe(200);

    const res = await call("POST", "/v1/auth/logout", {
      token: account.accessToken,
      body: { refresh_token: account.refreshToken },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("Request-Id")).toMatch(/^req_/);

    expectError(await me(account.accessToken), 401, "invalid_api_key");
    expectError(await refresh(account.refreshToken), 401, "invalid_refresh_token");

    expect((await me(second.body.access_token)).status).toBe(200);
    const renewed = await refresh(second.body.refresh_token);
    expect(renewed.status).toBe(200);
    expect((await me(renewed.body.access_token)).status).toBe(200);
  });

  it("needs an access token", async () => {
    const account = await signUp();
    const res = await call("POST", "/v1/auth/logout", { body: { refresh_token: account.refreshToken } });
    expectError(res, 401, "invalid_api_key");
    // The session was not ended.
    expect((await refresh(account.refreshToken)).status).toBe(200);
  });

  it("cannot end another user's session", async () => {
    const alice = await signUp();
    const mallory = await signUp();
    const res = await call("POST", "/v1/auth/logout", {
      token: mallory.accessToken,
      body: { refresh_token: alice.refreshToken },
    });
    expect(res.status).toBe(401);
    expect((await me(alice.accessToken)).status).toBe(200);
    expect((await refresh(alice.refreshToken)).status).toBe(200);
  });
});

describe("GET /v1/auth/me", () => {
  it("returns the user and every team with the user's role", async () => {
    const account = await signUp("First");
    const created = await call("POST", "/v1/teams", { token: account.accessToken, body: { name: "Second" } });
    expect(created.status).toBe(201);
    const res = await me(account.accessToken);
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ id: account.userId, email: account.email, object: "user" });
    expect(res.body.user).not.toHaveProperty("password_hash");
    expect(res.body.teams).toHaveLength(2);
    expect(res.body.teams).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: account.teamId, name: "First", role: "owner" }),
        expect.objectContaining({ id: created.body.id, name: "Second", role: "owner" }),
      ]),
    );
  });

  it("refuses a request without a credential", async () => {
    expectError(await call("GET", "/v1/auth/me"), 401, "invalid_api_key");
  });

  it("does not accept a refresh token as a bearer credential", async () => {
    const account = await signUp();
    expectError(await me(account.refreshToken), 401, "invalid_api_key");
  });
});

describe("access token algorithm is pinned", () => {
  async function validClaims() {
    const account = await signUp();
    const claims = claimsOf(account.accessToken);
    expect(claims.sub).toBe(account.userId);
    return { account, claims };
  }

  it("accepts a token the test crafts with the deployment's secret and HS256 (control)", async () => {
    const { account, claims } = await validClaims();
    const token = await sign(claims, env.JWT_SECRET, "HS256");
    const res = await me(token);
    expect(res.status).toBe(200);
    expect(res.body.user.id).toBe(account.userId);
  });

  it("refuses alg none", async () => {
    const { claims } = await validClaims();
    const unsigned = `${base64url({ alg: "none", typ: "JWT" })}.${base64url(claims)}.`;
    expectError(await me(unsigned), 401, "invalid_api_key");
    const withJunkSignature = `${base64url({ alg: "none", typ: "JWT" })}.${base64url(claims)}.AAAA`;
    expectError(await me(withJunkSignature), 401, "invalid_api_key");
  });

  it("refuses a token signed with another secret", async () => {
    const { claims } = await validClaims();
    const token = await sign(claims, "an-entirely-different-secret-of-enough-length", "HS256");
    expectError(await me(token), 401, "invalid_api_key");
  });

  it("refuses another algorithm even with the right secret", async () => {
    const { claims } = await validClaims();
    for (const alg of ["HS384", "HS512"] as const) {
      const token = await sign(claims, env.JWT_SECRET, alg);
      expectError(await me(token), 401, "invalid_api_key");
    }
  });

  it("refuses an expired token and a tampered payload", async () => {
    const { account, claims } = await validClaims();
    const past = Math.floor(Date.now() / 1000) - 3600;
    const expired = await sign({ ...claims, iat: past - 900, exp: past }, env.JWT_SECRET, "HS256");
    expectError(await me(expired), 401, "invalid_api_key");

    const other = await signUp();
    const [header, , signature] = account.accessToken.split(".");
    const tampered = `${header}.${base64url({ ...claims, sub: other.userId })}.${signature}`;
    expectError(await me(tampered), 401, "invalid_api_key");
  });
});

describe("POST /v1/auth/login — guessing", () => {
  it("allows 10 attempts per email per minute, then 429 with Retry-After, the right password included", async () => {
    const account = await signUp();
    const attempts = await Promise.all(
      Array.from({ length: 14 }, () => call("POST", "/v1/auth/login", { body: { email: account.email, password: "wrong password!" } })),
    );
    expect(attempts.filter((a) => a.status === 401)).toHaveLength(10);
    const limited = attempts.filter((a) => a.status === 429);
    expect(limited).toHaveLength(4);
    for (const res of limited) {
      expect(res.body.error).toBe("rate_limit_exceeded");
      expect(Number(res.headers.get("Retry-After"))).toBeGreaterThan(0);
    }
    const right = await call("POST", "/v1/auth/login", { body: { email: account.email.toUpperCase(), password: account.password } });
    expect(right.status).toBe(429);
    // Another account is not affected.
    const other = await signUp();
    expect((await call("POST", "/v1/auth/login", { body: { email: other.email, password: other.password } })).status).toBe(200);
  });
});
