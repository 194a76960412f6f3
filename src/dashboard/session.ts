// The dashboard's session: an HttpOnly, Secure, SameSite=Strict cookie holding a signed token that names the user
// and the session that login() opened. Every request checks the session in D1 (so signing out, or the API's reuse
// detection, ends it at once) and counts against the user's rate limit, as a request with an access token does.
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { sign, verify } from "hono/jwt";
import type { Actor, Env, Role } from "../env";
import { ApiError } from "../errors";
import { defaultRateLimit } from "../domain/scopes";
import { constantTimeEqual } from "../lib/crypto";
import { ROLE_SCOPES } from "../services/access";

const COOKIE = "vf_dashboard";
const COOKIE_PATH = "/dashboard";
const SESSION_SECONDS = 8 * 60 * 60;
const ALG = "HS256" as const;
const ISSUER = "vauchflow-dashboard";

export type Session = { userId: string; sessionId: string };

const encoder = new TextEncoder();

async function hmac(secret: string, message: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(message)));
  return btoa(String.fromCharCode(...mac)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export async function startSession(c: Context, secret: string, session: Session): Promise<void> {
  const iat = Math.floor(Date.now() / 1000);
  // Its own issuer and type: an API access token is not a dashboard cookie, nor the other way round.
  const token = await sign({ sub: session.userId, sid: session.sessionId, typ: "dashboard", iss: ISSUER, iat, exp: iat + SESSION_SECONDS }, secret, ALG);
  setCookie(c, COOKIE, token, { path: COOKIE_PATH, httpOnly: true, secure: true, sameSite: "Strict", maxAge: SESSION_SECONDS });
}

export function clearSession(c: Context): void {
  deleteCookie(c, COOKIE, { path: COOKIE_PATH, httpOnly: true, secure: true, sameSite: "Strict" });
}

/** The cookie's session, if its signature and expiry hold; whether the session still stands is checked by actorFor. */
export async function readSession(c: Context, secret: string): Promise<Session | null> {
  const token = getCookie(c, COOKIE);
  if (!token) return null;
  try {
    const payload = await verify(token, secret, { alg: ALG, iss: ISSUER });
    if (payload.typ !== "dashboard" || typeof payload.sub !== "string" || typeof payload.sid !== "string") return null;
    return { userId: payload.sub, sessionId: payload.sid };
  } catch {
    return null;
  }
}

export type Membership = { id: string; name: string; role: Role };

/**
 * The actor of a dashboard request: the user as an access token would make it (middleware/authenticate.ts), the
 * chosen team taking X-Team-Id's place, with the same role scopes. Null when the session has ended.
 */
export async function actorFor(env: Env, session: Session, teamId: string | null): Promise<{ actor: Actor; teams: Membership[] } | null> {
  const limiter = env.CREDENTIALS.get(env.CREDENTIALS.idFromName(`user:${session.userId}`));
  const [[revoked, memberships], rate] = await Promise.all([
    env.DB.batch<Record<string, string | number | null>>([
      env.DB.prepare("SELECT revoked_at FROM sessions WHERE id = ? AND user_id = ?").bind(session.sessionId, session.userId),
      env.DB.prepare("SELECT m.team_id, m.role, t.name FROM memberships m JOIN teams t ON t.id = m.team_id WHERE m.user_id = ? ORDER BY m.created_at").bind(session.userId),
    ]),
    limiter.hit(defaultRateLimit(env.ENVIRONMENT)),
  ]);
  const row = revoked?.results[0];
  if (!row || row.revoked_at !== null) return null;
  if (!rate.allowed) throw new ApiError("rate_limit_exceeded", `Rate limit of ${rate.limit} requests per minute exceeded.`, undefined, { "Retry-After": String(rate.resetSeconds) });
  const teams = (memberships?.results ?? []).map((m) => ({ id: String(m.team_id), name: String(m.name), role: m.role as Role }));
  const current = teamId === null ? undefined : teams.find((t) => t.id === teamId);
  if (teamId !== null && !current) throw new ApiError("team_access_denied");
  const actor: Actor = {
    kind: "user",
    userId: session.userId,
    sessionId: session.sessionId,
    teamId: current?.id ?? null,
    role: current?.role ?? null,
    scopes: new Set(current ? ROLE_SCOPES[current.role] : []),
    teams: teams.map(({ id, role }) => ({ id, role })),
  };
  return { actor, teams };
}

/** The session's CSRF token: derived, not stored, so it lives exactly as long as the session. */
export const csrfToken = (env: Env, session: Session) => hmac(env.JWT_SECRET, `csrf:${session.sessionId}`);

export async function checkCsrf(env: Env, session: Session, sent: unknown): Promise<void> {
  if (typeof sent !== "string" || !constantTimeEqual(sent, await csrfToken(env, session))) {
    throw new ApiError("invalid_request", "This form has expired: reload the page and try again.");
  }
}
