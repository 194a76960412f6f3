// Dashboard accounts: sign-up, login, refresh-token rotation with reuse detection, logout, me.
import { and, eq, isNull } from "drizzle-orm";
import type { Env, ServiceContext } from "../env";
import { ApiError } from "../errors";
import { database, schema } from "../db/client";
import { randomToken, sha256Hex } from "../lib/crypto";
import { newId } from "../lib/ids";
import { hashPassword, verifyPassword } from "../lib/password";
import { iso } from "../lib/time";
import { ACCESS_TOKEN_TTL_SECONDS, REFRESH_TOKEN_TTL_MS, signAccessToken } from "../lib/tokens";
import { requireUser } from "./access";
import { renderTeam } from "./teams";

const DEFAULT_KDF_ITERATIONS = 100_000;
const kdfIterations = (env: Env) => Number(env.PASSWORD_KDF_ITERATIONS ?? DEFAULT_KDF_ITERATIONS) || DEFAULT_KDF_ITERATIONS;
/** Verified against when the email is unknown, so both answers cost the same. */
const dummyHash = (env: Env) => `pbkdf2_sha256$${kdfIterations(env)}$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=`;

const renderUser = (u: { id: string; email: string; createdAt: number }) => ({
  id: u.id,
  object: "user" as const,
  email: u.email,
  created_at: iso(u.createdAt),
});

async function newRefreshToken(env: Env, sessionId: string, now: number) {
  const token = `vf_rt_${randomToken(32)}`;
  const insert = database(env.DB).insert(schema.refreshTokens).values({
    id: newId("rtk"),
    sessionId,
    tokenHash: await sha256Hex(token),
    expiresAt: now + REFRESH_TOKEN_TTL_MS,
    createdAt: now,
  });
  return { token, insert };
}

async function tokenPair(env: Env, userId: string, sessionId: string, refreshToken: string, now: number) {
  return {
    access_token: await signAccessToken({ sub: userId, sid: sessionId }, env.JWT_SECRET, now),
    refresh_token: refreshToken,
    token_type: "Bearer" as const,
    expires_in: ACCESS_TOKEN_TTL_SECONDS,
  };
}

export async function signup(env: Env, input: { email: string; password: string; team_name: string }) {
  if (env.SIGNUP_ENABLED !== "true") throw new ApiError("signup_disabled");
  const db = database(env.DB);
  const email = input.email.toLowerCase();
  const existing = await db.select({ id: schema.users.id }).from(schema.users).where(eq(schema.users.email, email)).get();
  if (existing) throw new ApiError("email_taken");
  const now = Date.now();
  const user = { id: newId("usr"), email, passwordHash: await hashPassword(input.password, kdfIterations(env)), createdAt: now };
  const team = { id: newId("team"), name: input.team_name, createdAt: now };
  const sessionId = newId("ses");
  const refresh = await newRefreshToken(env, sessionId, now);
  try {
    await db.batch([
      db.insert(schema.users).values(user),
      db.insert(schema.teams).values(team),
      db.insert(schema.memberships).values({ teamId: team.id, userId: user.id, role: "owner", createdAt: now }),
      db.insert(schema.sessions).values({ id: sessionId, userId: user.id, createdAt: now }),
      refresh.insert,
    ]);
  } catch (err) {
    // Two sign-ups racing for one email: the unique index lets exactly one through.
    if (err instanceof Error && /UNIQUE/i.test(err.message)) throw new ApiError("email_taken");
    throw err;
  }
  return { user: renderUser(user), team: renderTeam(team, "owner"), ...(await tokenPair(env, user.id, sessionId, refresh.token, now)) };
}

/** Password guesses allowed per account per minute, whoever makes them. */
export const LOGIN_ATTEMPTS_PER_MINUTE = 10;

export async function login(env: Env, input: { email: string; password: string }) {
  const email = input.email.toLowerCase();
  // Counted per email, known or not, so the answer never tells an account exists.
  const attempts = await env.CREDENTIALS.get(env.CREDENTIALS.idFromName(`login:${email}`)).hit(LOGIN_ATTEMPTS_PER_MINUTE, false);
  if (!attempts.allowed) {
    throw new ApiError("rate_limit_exceeded", "Too many login attempts for this account: try again later.", undefined, {
      "Retry-After": String(attempts.resetSeconds),
    });
  }
  const db = database(env.DB);
  const user = await db.select().from(schema.users).where(eq(schema.users.email, email)).get();
  const ok = await verifyPassword(input.password, user?.passwordHash ?? dummyHash(env));
  if (!user || !ok) throw new ApiError("invalid_credentials");
  const now = Date.now();
  const sessionId = newId("ses");
  const refresh = await newRefreshToken(env, sessionId, now);
  await db.batch([db.insert(schema.sessions).values({ id: sessionId, userId: user.id, createdAt: now }), refresh.insert]);
  return { user: renderUser(user), ...(await tokenPair(env, user.id, sessionId, refresh.token, now)) };
}

async function findRefreshToken(env: Env, token: string) {
  const db = database(env.DB);
  return db
    .select({ token: schema.refreshTokens, session: schema.sessions })
    .from(schema.refreshTokens)
    .innerJoin(schema.sessions, eq(schema.sessions.id, schema.refreshTokens.sessionId))
    .where(eq(schema.refreshTokens.tokenHash, await sha256Hex(token)))
    .get();
}

async function revokeSession(env: Env, sessionId: string, reason: string, now: number) {
  await database(env.DB)
    .update(schema.sessions)
    .set({ revokedAt: now, revokedReason: reason })
    .where(and(eq(schema.sessions.id, sessionId), isNull(schema.sessions.revokedAt)));
}

export async function refresh(env: Env, input: { refresh_token: string }) {
  const found = await findRefreshToken(env, input.refresh_token);
  const now = Date.now();
  if (!found || found.session.revokedAt !== null || found.token.expiresAt <= now) throw new ApiError("invalid_refresh_token");
  const db = database(env.DB);
  // Spend the token with a conditional update: of two concurrent refreshes exactly one wins.
  const spent = await db
    .update(schema.refreshTokens)
    .set({ usedAt: now })
    .where(and(eq(schema.refreshTokens.id, found.token.id), isNull(schema.refreshTokens.usedAt)))
    .run();
  if (spent.meta.changes !== 1) {
    // A spent token presented again means it leaked: end the whole family.
    await revokeSession(env, found.session.id, "refresh_token_reuse", now);
    throw new ApiError("invalid_refresh_token", "This refresh token was already used; the session has been revoked.");
  }
  const next = await newRefreshToken(env, found.session.id, now);
  await next.insert;
  return tokenPair(env, found.session.userId, found.session.id, next.token, now);
}

/**
 * A refresh's stored answer may be replayed (API.md §3: a replay is authorized like a new request) only while the
 * pair it handed out is still the session's newest, unspent and alive: a retry of a refresh whose answer was lost
 * finds it so. After that pair was used, the presented token is a spent one shown again, and reuse detection (§2)
 * ends the session; after the session ended, the replay is refused like the token itself.
 */
export async function authorizeRefreshReplay(env: Env, presented: string, answeredToken: string): Promise<void> {
  const now = Date.now();
  const issued = await findRefreshToken(env, answeredToken);
  if (!issued || issued.session.revokedAt !== null || issued.token.expiresAt <= now) throw new ApiError("invalid_refresh_token");
  if (issued.token.usedAt === null) return;
  const spent = await findRefreshToken(env, presented);
  await revokeSession(env, spent?.session.id ?? issued.session.id, "refresh_token_reuse", now);
  throw new ApiError("invalid_refresh_token", "This refresh token was already used; the session has been revoked.");
}

export async function logout(ctx: ServiceContext, input: { refresh_token: string }) {
  const user = requireUser(ctx.actor);
  await ctx.authorize(null);
  const found = await findRefreshToken(ctx.env, input.refresh_token);
  if (!found || found.session.userId !== user.userId) throw new ApiError("invalid_refresh_token");
  await revokeSession(ctx.env, found.session.id, "logout", Date.now());
}

/** Ends the caller's own session (the dashboard's sign-out, which holds no refresh token): its access tokens die with it. */
export async function endSession(ctx: ServiceContext) {
  const user = requireUser(ctx.actor);
  await ctx.authorize(null);
  await revokeSession(ctx.env, user.sessionId, "logout", Date.now());
}

export async function me(ctx: ServiceContext) {
  const actor = requireUser(ctx.actor);
  const db = database(ctx.env.DB);
  const [user, teams] = await db.batch([
    db.select().from(schema.users).where(eq(schema.users.id, actor.userId)),
    db
      .select({ id: schema.teams.id, name: schema.teams.name, createdAt: schema.teams.createdAt, role: schema.memberships.role })
      .from(schema.memberships)
      .innerJoin(schema.teams, eq(schema.teams.id, schema.memberships.teamId))
      .where(eq(schema.memberships.userId, actor.userId))
      .orderBy(schema.memberships.createdAt),
  ]);
  const row = user[0];
  if (!row) throw new ApiError("invalid_api_key");
  return { user: renderUser(row), teams: teams.map((t) => renderTeam(t, t.role)) };
}
