// One generator of the security cases every authenticated route shares (Unkey's pattern): a route table in,
// a describe block per route out. Each case builds its own teams and credentials through the public API.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { mintKey as mintPlaintextKey } from "../../src/lib/api-keys";
import { addMember, call, type Account, type Answer, type CallOptions, newTeam, sleep } from "./api";

/** Every scope of API.md §2 (not imported from src: the contract is what the tests hold the code to). */
export const ALL_SCOPES = [
  "read:vouchers",
  "write:vouchers",
  "validate:vouchers",
  "redeem:vouchers",
  "read:campaigns",
  "write:campaigns",
  "read:customers",
  "write:customers",
  "read:analytics",
  "read:webhooks",
  "write:webhooks",
  "read:api_keys",
  "write:api_keys",
  "read:approvals",
  "write:approvals",
] as const;
export type Scope = (typeof ALL_SCOPES)[number];
export type Role = "owner" | "admin" | "developer" | "viewer";
export type Team = Awaited<ReturnType<typeof newTeam>>;

export const INVALID_KEY_MESSAGE = "The provided API key is invalid or expired.";
const ERROR_FIELDS = ["details", "error", "message", "request_id"];

/** The one error shape of API.md §1, with the Request-Id header naming the same request. */
export function expectApiError(res: Answer, status: number, code: string) {
  expect({ status: res.status, error: res.body?.error }, JSON.stringify(res.body)).toEqual({ status, error: code });
  expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
  for (const field of Object.keys(res.body)) expect(ERROR_FIELDS).toContain(field);
  expect(typeof res.body.message).toBe("string");
  expect(res.body.message.length).toBeGreaterThan(0);
  expect(res.body.request_id).toMatch(/^req_[0-9A-HJKMNP-TV-Z]{26}$/);
  expect(res.headers.get("Request-Id")).toBe(res.body.request_id);
}

/** Missing, unknown, revoked and expired all answer the same 401, so the answer reveals nothing about the key. */
export function expectInvalidKey(res: Answer) {
  expectApiError(res, 401, "invalid_api_key");
  expect(res.body.message).toBe(INVALID_KEY_MESSAGE);
}

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const randomFrom = (alphabet: string, length: number) =>
  Array.from(crypto.getRandomValues(new Uint8Array(length)), (b) => alphabet[b % alphabet.length]).join("");

/** A key of the right shape (prefix, 24 base62 secret, 8 base62 check, 26-char Crockford id body) that was never issued; its check fails. */
export const unknownKey = (prefix = "vf_sk_test_") => `${prefix}${randomFrom(BASE62, 32)}${randomFrom(CROCKFORD, 26)}`;
/** The same key id with another secret (and so a check that fails). */
export const withWrongSecret = (key: string) => `${key.slice(0, "vf_sk_test_".length)}${randomFrom(BASE62, 32)}${key.slice(-26)}`;

/**
 * A key whose check is right (made with the deployment's KEY_CHECK_SECRET, which only an insider holds) but whose
 * secret was never issued: for `keyId` (an issued id with a wrong secret) or a fresh id (an unknown key).
 */
export async function forgedWithCheck(prefix = "vf_sk_test_", keyId = `key_${randomFrom(CROCKFORD, 26)}`) {
  const type = ({ sk: "secret", pk: "publishable", ak: "agent" } as const)[prefix.slice(3, 5) as "sk" | "pk" | "ak"];
  return mintPlaintextKey(env.KEY_CHECK_SECRET, type, prefix.includes("_live_") ? "production" : "staging", keyId, null);
}
export const uniqueOrigin = () => `https://shop-${randomFrom(CROCKFORD, 10).toLowerCase()}.example.com`;

const utf8 = new TextEncoder();
function base64url(data: Uint8Array | string): string {
  const bytes = typeof data === "string" ? utf8.encode(data) : data;
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function jwtPayload(token: string): Record<string, unknown> {
  const part = (token.split(".")[1] ?? "").replace(/-/g, "+").replace(/_/g, "/");
  return JSON.parse(atob(part.padEnd(Math.ceil(part.length / 4) * 4, "=")));
}

/** An HMAC-signed JWT with the given payload, secret and algorithm. */
export async function signJwt(payload: Record<string, unknown>, secret: string, alg: "HS256" | "HS512" = "HS256") {
  const signingInput = `${base64url(JSON.stringify({ alg, typ: "JWT" }))}.${base64url(JSON.stringify(payload))}`;
  const hash = alg === "HS256" ? "SHA-256" : "SHA-512";
  const key = await crypto.subtle.importKey("raw", utf8.encode(secret), { name: "HMAC", hash }, false, ["sign"]);
  const signature = new Uint8Array(await crypto.subtle.sign("HMAC", key, utf8.encode(signingInput)));
  return `${signingInput}.${base64url(signature)}`;
}

export const unsignedJwt = (payload: Record<string, unknown>) =>
  `${base64url(JSON.stringify({ alg: "none", typ: "JWT" }))}.${base64url(JSON.stringify(payload))}.`;

export const deploymentJwtSecret = () => env.JWT_SECRET;

export type CredentialKind = "secret" | "agent" | "publishable" | "user";

export type SecuredRoute<R = any> = {
  method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  /** The path template, for test names. */
  path: string;
  url: (resource: R, team: Team) => string;
  body?: (resource: R, team: Team) => unknown;
  /** Creates what the route targets in team A. */
  setup?: (team: Team) => Promise<R>;
  /** Status with a sufficient credential of team A. */
  ok: number;
  /** Secret keys are accepted when they hold `scope`; `alsoHolds` is what the body needs besides it. */
  secret?: { scope: Scope; alsoHolds?: Scope[] };
  /** Agent keys see only what they created (an approval): any other agent key gets 404, not 403. */
  agentSeesOwnOnly?: boolean;
  /** Agent keys are accepted when they hold `scope`. `queued`: the default approval policy (API.md §8) holds the request. */
  agent?: { scope: Scope; alsoHolds?: Scope[]; queued?: boolean };
  /** Dashboard users are accepted as owners and `allowedRoles`; `deniedRoles` get 403 insufficient_role. */
  user?: { deniedRoles?: Role[]; allowedRoles?: Role[] };
  /**
   * The request names a resource of team A (a key, a team, a voucher; in its path or its body): another team
   * gets 404 and the resource is untouched.
   */
  targetsResource?: boolean;
  /** The `error` of that 404 (voucher routes answer voucher_not_found). Default not_found. */
  notFoundError?: string;
  /** A list route: team A's page holds an item matching this; team B's never does. */
  listed?: (resource: R) => Record<string, unknown>;
  /**
   * Awaited only before requests that should succeed, for what they need but refusals do not (a bulk job
   * finishing), so the refused cases need not wait for it.
   */
  ready?: (resource: R, team: Team) => Promise<void>;
  /** What every successful answer to team A holds, besides the status `ok`. */
  answers?: (res: Answer, resource: R) => void;
};

export const route = <R>(spec: SecuredRoute<R>): SecuredRoute<R> => spec;

type Arranged<R> = {
  team: Team;
  resource: R;
  send: (options?: CallOptions) => Promise<Answer>;
  /** Waits for `ready`, sends, and checks the answer is `status` (default `ok`) and, when it is `ok`, `answers`. */
  sendOk: (options: CallOptions, status?: number) => Promise<Answer>;
};

async function arrange<R>(spec: SecuredRoute<R>): Promise<Arranged<R>> {
  const team = await newTeam();
  const resource = spec.setup ? await spec.setup(team) : ({} as R);
  const send = (options: CallOptions = {}) =>
    call(spec.method, spec.url(resource, team), { body: spec.body?.(resource, team), ...options });
  let ready: Promise<void> | undefined;
  const sendOk = async (options: CallOptions, status = spec.ok) => {
    await (ready ??= spec.ready?.(resource, team) ?? Promise.resolve());
    const res = await send(options);
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(res.headers.get("Request-Id")).toMatch(/^req_/);
    if (status === spec.ok) spec.answers?.(res, resource);
    return res;
  };
  return { team, resource, send, sendOk };
}

const asUser = (account: Account, teamId: string): CallOptions => ({ token: account.accessToken, headers: { "X-Team-Id": teamId } });

async function mintKey(team: Team, body: Record<string, unknown>, path = "/v1/api-keys") {
  const res = await call("POST", path, { token: team.owner.accessToken, body: { name: "security case", ...body } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; key: string; expires_at: string | null };
}

const revoke = async (team: Team, id: string) =>
  expect((await call("DELETE", `/v1/api-keys/${id}`, { token: team.owner.accessToken })).status).toBe(204);

/** The scopes of a key allowed to call the route if any key is; otherwise admin (which the route refuses with 403). */
const scopesOf = (spec: SecuredRoute) => (spec.secret ? [spec.secret.scope, ...(spec.secret.alsoHolds ?? [])] : ["admin"]);

/** A key allowed to call the route if any key is; otherwise an admin key (which the route refuses with 403). */
async function bestKey(spec: SecuredRoute, team: Team) {
  return mintKey(team, { type: "secret", scopes: scopesOf(spec) });
}

/** How long the expired-key cases' keys live: long enough to mint them all at once on a loaded CI machine. */
const EXPIRY_LEAD_MS = 5000;

/**
 * The expired-key case of every route of one table, sharing a single wait: each route still gets its own team,
 * resource and key (holding what the route needs), all minted to expire at the same instant.
 */
function sharedExpiredKeys(routes: SecuredRoute[]) {
  let prepared: Promise<Map<SecuredRoute, Promise<{ send: Arranged<unknown>["send"]; key: string }>>> | undefined;
  async function prepare() {
    const arranged = routes.map((spec) => arrange(spec));
    await Promise.allSettled(arranged);
    // On a whole second: keys expire to the second, so none of the lead is lost to rounding.
    const expiresAt = Math.ceil((Date.now() + EXPIRY_LEAD_MS) / 1000) * 1000;
    const cases = routes.map((spec, i) =>
      arranged[i]!.then(async ({ send, team }) => {
        const key = await mintKey(team, { type: "secret", scopes: scopesOf(spec), expires_at: new Date(expiresAt).toISOString() });
        // Rendered to the second (RFC 3339), never later than the real expiry.
        expect(Date.parse(key.expires_at ?? "")).toBe(Math.floor(expiresAt / 1000) * 1000);
        return { send, key: key.key };
      }),
    );
    await Promise.allSettled(cases);
    await sleep(Math.max(0, expiresAt - Date.now()) + 150);
    return new Map(routes.map((spec, i) => [spec, cases[i]!]));
  }
  return async (spec: SecuredRoute) => (await (prepared ??= prepare())).get(spec)!;
}

/** A credential of team A that may call the route, to check a refused request left the resource untouched. */
function sufficient(spec: SecuredRoute, team: Team): CallOptions {
  return spec.secret ? { token: team.admin.key } : asUser(team.owner, team.owner.teamId);
}

export function describeSecurity(routes: SecuredRoute[]) {
  const expiredKey = sharedExpiredKeys(routes);
  for (const spec of routes) {
    describe(`security: ${spec.method} ${spec.path}`, () => {
      it("no credential → 401 invalid_api_key", async () => {
        const { send } = await arrange(spec);
        const res = await send();
        expectApiError(res, 401, "invalid_api_key");
      });

      it("malformed credentials → 401 invalid_api_key", async () => {
        const { send, team } = await arrange(spec);
        const real = team.admin.key;
        const malformed: CallOptions[] = [
          { headers: { Authorization: "Bearer" } },
          { headers: { Authorization: `Basic ${btoa("user:pass")}` } },
          { headers: { Authorization: `Token ${real}` } },
          { token: "vf_sk_test_" },
          { token: "vf_sk_test_tooShort123" },
          { token: `${real}X` },
          { token: real.slice(0, -1) },
          { token: `${real.slice(0, -26)}${"I".repeat(26)}` }, // I is not Crockford base32
          { token: real.replace("vf_sk_test_", "vf_xx_test_") },
          { token: real.replace("vf_sk_test_", "vf_sk_prod_") },
          { token: "not-a-token" },
          { token: "a.b.c" },
          { headers: { "X-API-Key": "garbage" } },
        ];
        for (const options of malformed) {
          const res = await send(options);
          expectApiError(res, 401, "invalid_api_key");
        }
      });

      it("unknown key of the right shape → 401, same answer as any invalid key", async () => {
        const { send } = await arrange(spec);
        expectInvalidKey(await send({ token: unknownKey() }));
        expectInvalidKey(await send({ headers: { "X-API-Key": unknownKey() } }));
        expectInvalidKey(await send({ token: unknownKey("vf_ak_test_") }));
        expectInvalidKey(await send({ token: unknownKey("vf_pk_test_") }));
      });

      it("an issued key id with a wrong secret, or under another type prefix → 401", async () => {
        const { send, team } = await arrange(spec);
        const issued = await bestKey(spec, team);
        const key = issued.key;
        expectInvalidKey(await send({ token: withWrongSecret(key) }));
        // Even with a right check (only an insider could make one) the object refuses the secret.
        expectInvalidKey(await send({ token: await forgedWithCheck("vf_sk_test_", issued.id) }));
        expectInvalidKey(await send({ token: await forgedWithCheck() }));
        expectInvalidKey(await send({ token: key.replace("vf_sk_", "vf_ak_") }));
        expectInvalidKey(await send({ token: key.replace("vf_sk_", "vf_pk_"), headers: { Origin: "https://shop.example.com" } }));
      });

      if ((spec.method === "POST" || spec.method === "PATCH") && spec.secret) {
        it("Idempotency-Key: the same key's retry replays; another credential's same key runs anew; once revoked → 401", async () => {
          const { sendOk, send, team } = await arrange(spec);
          const key = await bestKey(spec, team);
          const idempotency = { "Idempotency-Key": `sec-${crypto.randomUUID()}` };
          const first = await sendOk({ token: key.key, headers: idempotency });
          const again = await send({ token: key.key, headers: idempotency });
          expect({ status: again.status, body: again.body }).toEqual({ status: first.status, body: first.body });
          expect(again.headers.get("Idempotent-Replayed")).toBe("true");
          const other = await send({ token: team.admin.key, headers: idempotency });
          expect(other.headers.get("Idempotent-Replayed")).toBeNull();
          await revoke(team, key.id);
          expectInvalidKey(await send({ token: key.key, headers: idempotency }));
        });
      }

      it("revoked key → 401", async () => {
        const { send, team } = await arrange(spec);
        const key = await bestKey(spec, team);
        await revoke(team, key.id);
        expectInvalidKey(await send({ token: key.key }));
        expectInvalidKey(await send({ headers: { "X-API-Key": key.key } }));
      });

      it("expired key → 401", async () => {
        const { send, key } = await expiredKey(spec);
        expectInvalidKey(await send({ token: key }));
        expectInvalidKey(await send({ headers: { "X-API-Key": key } }));
      });

      it("key of the other environment (vf_sk_live_ on staging) → 401 naming the mismatch", async () => {
        const { send, team } = await arrange(spec);
        const live = team.admin.key.replace("vf_sk_test_", "vf_sk_live_");
        for (const options of [{ token: live }, { headers: { "X-API-Key": live } }]) {
          const res = await send(options);
          expectApiError(res, 401, "invalid_api_key");
          expect(res.body.message).not.toBe(INVALID_KEY_MESSAGE);
          expect(res.body.message).toMatch(/live|production/i);
          expect(res.body.message).toMatch(/test|staging/i);
        }
      });

      it("publishable key → 403 key_type_not_allowed", async () => {
        const { send, team } = await arrange(spec);
        const origin = uniqueOrigin();
        const key = await mintKey(team, { type: "publishable", allowed_origins: [origin] });
        expectApiError(await send({ token: key.key, headers: { Origin: origin } }), 403, "key_type_not_allowed");
      });

      if (!spec.agent && spec.agentSeesOwnOnly) {
        it("an agent key that did not create it (even with admin scopes) → 404 not_found", async () => {
          const { send, team } = await arrange(spec);
          const key = await mintKey(team, { scopes: ["admin"] }, "/v1/api-keys/agent");
          expectApiError(await send({ token: key.key }), 404, "not_found");
        });
      } else if (!spec.agent) {
        it("agent key (even with admin scopes) → 403 key_type_not_allowed", async () => {
          const { send, team } = await arrange(spec);
          const key = await mintKey(team, { scopes: ["admin"] }, "/v1/api-keys/agent");
          expectApiError(await send({ token: key.key }), 403, "key_type_not_allowed");
        });
      }

      if (!spec.secret) {
        it("secret key (even admin) → 403 key_type_not_allowed", async () => {
          const { send, team } = await arrange(spec);
          expectApiError(await send({ token: team.admin.key }), 403, "key_type_not_allowed");
          expectApiError(await send({ headers: { "X-API-Key": team.admin.key } }), 403, "key_type_not_allowed");
        });
      }

      for (const [kind, needs] of [
        ["secret", spec.secret],
        ["agent", spec.agent],
      ] as const) {
        if (!needs) continue;
        const holds = [needs.scope, ...(needs.alsoHolds ?? [])];
        const path = kind === "secret" ? "/v1/api-keys" : "/v1/api-keys/agent";
        const type = kind === "secret" ? { type: "secret" } : {};

        // Routes whose agent calls the default policy holds (API.md §8): a sufficient agent key gets 202 and an
        // approval, and nothing happens until a human decides (test/routes/agent-approvals.test.ts).
        const queued = kind === "agent" && spec.agent?.queued === true;
        if (queued) {
          it(`agent key holding only ${holds.join(", ")} → 202 pending_approval`, async () => {
            const { send, team } = await arrange(spec);
            const key = await mintKey(team, { scopes: holds }, path);
            const res = await send({ token: key.key });
            expect(res.status, JSON.stringify(res.body)).toBe(202);
            expect(res.body).toEqual({ approval_id: expect.stringMatching(/^apr_/), status: "pending_approval", expires_at: expect.any(String) });
          });
        } else {
          it(`${kind} key holding only ${holds.join(", ")} → ${spec.ok} (also via X-API-Key)`, async () => {
            const { sendOk, team } = await arrange(spec);
            const key = await mintKey(team, { ...type, scopes: holds }, path);
            await sendOk({ token: key.key }, spec.ok);
            if (spec.method === "GET") await sendOk({ headers: { "X-API-Key": key.key } }, spec.ok);
          });
        }

        it(`${kind} key holding every scope but ${needs.scope} → 403 insufficient_scope`, async () => {
          const { send, team } = await arrange(spec);
          const key = await mintKey(team, { ...type, scopes: ALL_SCOPES.filter((s) => s !== needs.scope) }, path);
          const res = await send({ token: key.key });
          expectApiError(res, 403, "insufficient_scope");
          expect(res.body.message).toContain(needs.scope);
        });
      }

      if (spec.user) {
        it(`owner (dashboard JWT) → ${spec.ok}`, async () => {
          const { sendOk, team } = await arrange(spec);
          await sendOk(asUser(team.owner, team.owner.teamId));
        });

        for (const role of spec.user.allowedRoles ?? []) {
          it(`${role} → ${spec.ok}`, async () => {
            const { sendOk, team } = await arrange(spec);
            const member = await addMember(team.owner.accessToken, team.owner.teamId, role);
            await sendOk(asUser(member, team.owner.teamId));
          });
        }

        for (const role of spec.user.deniedRoles ?? []) {
          it(`${role} → 403 insufficient_role`, async () => {
            const { send, team } = await arrange(spec);
            const member = await addMember(team.owner.accessToken, team.owner.teamId, role);
            expectApiError(await send(asUser(member, team.owner.teamId)), 403, "insufficient_role");
          });
        }

        it("X-Team-Id naming a team the user is not in → 403 team_access_denied", async () => {
          const { send, team } = await arrange(spec);
          const other = await newTeam();
          expectApiError(await send(asUser(team.owner, other.owner.teamId)), 403, "team_access_denied");
        });
      }

      it("expired access token → 401 (the same token re-signed unexpired is accepted)", async () => {
        const { send, team } = await arrange(spec);
        const claims = jwtPayload(team.owner.accessToken);
        const now = Math.floor(Date.now() / 1000);
        const fresh = await signJwt({ ...claims, iat: now - 60, exp: now + 600 }, deploymentJwtSecret());
        const expired = await signJwt({ ...claims, iat: now - 1000, exp: now - 100 }, deploymentJwtSecret());
        // The control proves the crafted tokens are otherwise valid: only the expiry differs.
        expect((await call("GET", "/v1/auth/me", { token: fresh })).status).toBe(200);
        expectApiError(await send({ token: expired, headers: { "X-Team-Id": team.owner.teamId } }), 401, "invalid_api_key");
      });

      it("forged access tokens (wrong secret, alg none, another algorithm) → 401", async () => {
        const { send, team } = await arrange(spec);
        const claims = jwtPayload(team.owner.accessToken);
        const forged = [
          await signJwt(claims, "a-guessed-secret-that-is-long-enough-000000"),
          unsignedJwt(claims),
          `${unsignedJwt(claims)}${team.owner.accessToken.split(".")[2]}`,
          await signJwt(claims, deploymentJwtSecret(), "HS512"),
          await signJwt({ ...claims, typ: "refresh" }, deploymentJwtSecret()),
          await signJwt({ ...claims, sid: "ses_01JD0000000000000000000000" }, deploymentJwtSecret()),
        ];
        for (const token of forged) {
          expectApiError(await send({ token, headers: { "X-Team-Id": team.owner.teamId } }), 401, "invalid_api_key");
        }
      });

      it("access token of a logged-out session → 401", async () => {
        const { send, team } = await arrange(spec);
        const out = await call("POST", "/v1/auth/logout", { token: team.owner.accessToken, body: { refresh_token: team.owner.refreshToken } });
        expect(out.status).toBe(204);
        expectApiError(await send(asUser(team.owner, team.owner.teamId)), 401, "invalid_api_key");
      });

      if (spec.targetsResource) {
        const outsiders: [string, (other: Team) => CallOptions][] = [];
        if (spec.secret) outsiders.push(["team B's admin secret key", (other) => ({ token: other.admin.key })]);
        if (spec.user) outsiders.push(["team B's owner", (other) => ({ token: other.owner.accessToken })]);
        for (const [who, credential] of outsiders) {
          it(`${who} on team A's resource → 404, and the resource is untouched`, async () => {
            const { send, sendOk, team } = await arrange(spec);
            const other = await newTeam();
            expectApiError(await send(credential(other)), 404, spec.notFoundError ?? "not_found");
            await sendOk(sufficient(spec, team));
          });
        }
      }

      if (spec.listed) {
        const listed = spec.listed;
        it("team A's list shows its resource; team B's (secret key or owner) never does", async () => {
          const { send, sendOk, team, resource } = await arrange(spec);
          const item = expect.objectContaining(listed(resource));
          const own = await sendOk(sufficient(spec, team));
          expect(own.body.data).toContainEqual(item);
          const other = await newTeam();
          const outsiders: CallOptions[] = [];
          if (spec.secret) outsiders.push({ token: other.admin.key });
          if (spec.user) outsiders.push({ token: other.owner.accessToken });
          expect(outsiders.length).toBeGreaterThan(0);
          for (const credential of outsiders) {
            const res = await send(credential);
            expect(res.status, JSON.stringify(res.body)).toBe(spec.ok);
            expect(Array.isArray(res.body.data)).toBe(true);
            expect(res.body.data).not.toContainEqual(item);
          }
        });
      }
    });
  }
}
