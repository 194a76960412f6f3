// Credential → actor, and the rate limit. API keys: one Durable Object round trip (the key's own object
// decides validity and admits the request against its window); a validate asks the voucher's object at the same
// time (./validate-preview.ts), so a warm validate is one sequential hop. Users: a pinned-algorithm JWT, then one D1
// batch (session state, memberships) in parallel with the user's rate-limit object.
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { Actor, AppEnv, Env, Role } from "../env";
import { ApiError } from "../errors";
import { exposeRefusal } from "./publishable";
import { speculateValidation } from "./validate-preview";
import { parseKey, envTag } from "../lib/api-keys";
import { sha256Hex } from "../lib/crypto";
import { defaultRateLimit } from "../domain/scopes";
import { verifyAccessToken } from "../lib/tokens";
import { RATE_WINDOW_MS, type RateDecision } from "../objects/credential";
import { keyActorOf, ROLE_SCOPES } from "../services/access";
import { takeFailures } from "../services/code-failures";


function credentialOf(c: Context<AppEnv>): string | null {
  const authorization = c.req.header("Authorization");
  if (authorization !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return match?.[1] ?? null;
  }
  return c.req.header("X-API-Key")?.trim() || null;
}

/** RateLimit headers on every authenticated answer; 429 with Retry-After once the window is spent. */
function applyRateLimit(c: Context<AppEnv>, rate: RateDecision) {
  c.header("RateLimit-Policy", `"default";q=${rate.limit};w=${RATE_WINDOW_MS / 1000}`);
  c.header("RateLimit", `"default";r=${rate.remaining};t=${rate.resetSeconds}`);
  if (!rate.allowed) {
    throw new ApiError("rate_limit_exceeded", `Rate limit of ${rate.limit} requests per minute exceeded.`, undefined, {
      "Retry-After": String(rate.resetSeconds),
    });
  }
}

const credentialStub = (env: Env, name: string) => env.CREDENTIALS.get(env.CREDENTIALS.idFromName(name));

async function keyActor(c: Context<AppEnv>, credential: string): Promise<Actor> {
  const parsed = await parseKey(c.env.KEY_CHECK_SECRET, credential);
  if (!parsed) throw new ApiError("invalid_api_key");
  const deployment = c.env.ENVIRONMENT;
  if (parsed.environment !== deployment) {
    throw new ApiError(
      "invalid_api_key",
      `This is a ${parsed.environment} key (vf_…_${envTag(parsed.environment)}_…) but this is the ${deployment} API, which accepts only vf_…_${envTag(deployment)}_… keys.`,
    );
  }
  // A mistyped or invented key stops here: no Durable Object is created and D1 is not read for it.
  if (!parsed.checked) throw new ApiError("invalid_api_key");
  const failures = takeFailures(parsed.keyId);
  const authenticating = credentialStub(c.env, parsed.keyId).authenticate(parsed.keyId, await sha256Hex(credential), defaultRateLimit(c.env.ENVIRONMENT), failures);
  // Asked after the key's object, so a validate's preview never delays authentication; used only if it succeeds.
  if (parsed.teamId !== null) speculateValidation(c, parsed.teamId);
  const result = await authenticating;
  if (result.ok || result.teamId) c.set("auditSubject", { teamId: result.ok ? result.key.teamId : result.teamId, credentialId: parsed.keyId });
  if (!result.ok || result.key.type !== parsed.type || result.key.environment !== deployment) throw new ApiError("invalid_api_key");
  // The check covers the team part, so only a key minted wrongly could disagree with its object: refuse it.
  if (parsed.teamId !== null && parsed.teamId !== result.key.teamId) throw new ApiError("invalid_api_key");
  if (result.key.type === "publishable") exposeRefusal(c, result.key.allowedOrigins);
  applyRateLimit(c, result.rate);
  if (result.touch) {
    c.executionCtx.waitUntil(
      c.env.DB.prepare("UPDATE api_keys SET last_used_at = ? WHERE id = ?").bind(Date.now(), parsed.keyId).run().catch(() => undefined),
    );
  }
  const teamHeader = c.req.header("X-Team-Id");
  if (teamHeader !== undefined && teamHeader !== result.key.teamId) throw new ApiError("team_access_denied");
  return keyActorOf(result.key);
}

async function userActor(c: Context<AppEnv>, credential: string): Promise<Actor> {
  const claims = await verifyAccessToken(credential, c.env.JWT_SECRET);
  if (!claims) throw new ApiError("invalid_api_key");
  const [[session, memberships], rate] = await Promise.all([
    c.env.DB.batch<Record<string, string | number | null>>([
      c.env.DB.prepare("SELECT revoked_at FROM sessions WHERE id = ? AND user_id = ?").bind(claims.sid, claims.sub),
      c.env.DB.prepare("SELECT team_id, role FROM memberships WHERE user_id = ? ORDER BY created_at").bind(claims.sub),
    ]),
    credentialStub(c.env, `user:${claims.sub}`).hit(defaultRateLimit(c.env.ENVIRONMENT)),
  ]);
  const sessionRow = session?.results[0];
  if (!sessionRow || sessionRow.revoked_at !== null) throw new ApiError("invalid_api_key");
  const teams = (memberships?.results ?? []).map((m) => ({ id: String(m.team_id), role: m.role as Role }));
  const teamHeader = c.req.header("X-Team-Id");
  let current: { id: string; role: Role } | undefined;
  if (teamHeader !== undefined) current = teams.find((t) => t.id === teamHeader);
  else if (teams.length === 1) current = teams[0];
  c.set("auditSubject", { teamId: current?.id ?? null, credentialId: claims.sub });
  applyRateLimit(c, rate);
  if (teamHeader !== undefined && !current) throw new ApiError("team_access_denied");
  return {
    kind: "user",
    userId: claims.sub,
    sessionId: claims.sid,
    teamId: current?.id ?? null,
    role: current?.role ?? null,
    scopes: new Set(current ? ROLE_SCOPES[current.role] : []),
    teams,
  };
}

/** The only routes under /v1 reachable without a credential. */
export const PUBLIC_PATHS = new Set(["/v1/auth/signup", "/v1/auth/login", "/v1/auth/refresh"]);

export const authenticate = createMiddleware<AppEnv>(async (c, next) => {
  if (PUBLIC_PATHS.has(c.req.path)) return next();
  const credential = credentialOf(c);
  if (!credential) throw new ApiError("invalid_api_key", "No credential: send Authorization: Bearer <key or token>, or X-API-Key.");
  let actor: Actor;
  try {
    actor = credential.startsWith("vf_") ? await keyActor(c, credential) : await userActor(c, credential);
  } catch (err) {
    if (err instanceof ApiError && err.code === "invalid_api_key") exposeRefusal(c, null);
    throw err;
  }
  c.set("actor", actor);
  await next();
});
