// API keys: create (secret, publishable, agent), list, rotate, revoke. D1 keeps the listing; each key's
// Durable Object is the authority for authentication and is told of every change before D1 is.
import { and, desc, eq, gt, isNull, lt, or } from "drizzle-orm";
import type { Actor, KeyType, ServiceContext } from "../env";
import { ApiError } from "../errors";
import { database, schema } from "../db/client";
import { displayKey, mintKey } from "../lib/api-keys";
import { sha256Hex } from "../lib/crypto";
import { newId } from "../lib/ids";
import { page } from "../lib/pagination";
import { defaultRateLimit, expandScopes, isSubset } from "../domain/scopes";
import { iso } from "../lib/time";
import type { KeyState } from "../objects/credential";
import { requireKeyType, requireRole, requireScope, requireTeam } from "./access";

type KeyRow = typeof schema.apiKeys.$inferSelect;

export function renderKey(row: KeyRow) {
  return {
    id: row.id,
    object: "api_key" as const,
    name: row.name,
    type: row.type,
    environment: row.environment,
    scopes: row.scopes,
    display_key: row.displayKey,
    allowed_origins: row.allowedOrigins,
    rate_limit_per_minute: row.rateLimitPerMinute,
    created_at: iso(row.createdAt),
    last_used_at: iso(row.lastUsedAt),
    expires_at: iso(row.expiresAt),
  };
}

/** Expiry is shown to the second (RFC 3339 without fractions), so it is kept to the second: shown is exact. */
const toSecond = (ms: number) => Math.floor(ms / 1000) * 1000;

const credentialStub = (ctx: ServiceContext, keyId: string) => ctx.env.CREDENTIALS.get(ctx.env.CREDENTIALS.idFromName(keyId));

/** Key management is for secret keys and users; agent and publishable keys never manage keys. */
function requireKeyManager(actor: Actor, scope: "read:api_keys" | "write:api_keys") {
  requireKeyType(actor, ["secret"]);
  requireScope(actor, scope);
}

/** A credential never acts on a key that holds scopes it lacks: minting, rotating and revoking alike. */
function requireHeldScopes(actor: Actor, scopes: string[], verb: string) {
  const wanted = expandScopes(scopes);
  if (isSubset(wanted, actor.scopes)) return;
  const missing = [...wanted].filter((s) => !actor.scopes.has(s));
  throw new ApiError("insufficient_scope", `You cannot ${verb} a key with scopes you do not hold: ${missing.join(", ")}.`);
}

/**
 * A credential can never hand out more than it holds: scopes, lifetime and rate limit. An unset rate limit means
 * the environment's default, on either side.
 */
function checkMintingPower(ctx: ServiceContext, scopes: string[], expiresAt: number | null, rateLimit: number | null, verb = "create") {
  const { actor } = ctx;
  requireHeldScopes(actor, scopes, verb);
  if (actor.kind !== "api_key") return;
  if (actor.expiresAt !== null && (expiresAt === null || expiresAt > actor.expiresAt)) {
    throw new ApiError("insufficient_scope", `A key cannot ${verb} a key that outlives it: set expires_at no later than your own.`);
  }
  const fallback = defaultRateLimit(ctx.env.ENVIRONMENT);
  if ((rateLimit ?? fallback) > (actor.rateLimitPerMinute ?? fallback)) {
    throw new ApiError("insufficient_scope", `A key cannot ${verb} a key with a higher rate limit than its own.`);
  }
}

async function insertKey(
  ctx: ServiceContext,
  fields: { name: string; type: KeyType; scopes: string[]; allowedOrigins: string[]; rateLimit: number | null; expiresAt: number | null },
) {
  const teamId = requireTeam(ctx.actor);
  const id = newId("key");
  const plaintext = await mintKey(ctx.env.KEY_CHECK_SECRET, fields.type, ctx.env.ENVIRONMENT, id, teamId);
  const row: KeyRow = {
    id,
    teamId,
    name: fields.name,
    type: fields.type,
    environment: ctx.env.ENVIRONMENT,
    scopes: fields.scopes,
    allowedOrigins: fields.allowedOrigins,
    rateLimitPerMinute: fields.rateLimit,
    displayKey: displayKey(plaintext),
    secretHash: await sha256Hex(plaintext),
    previousSecretHash: null,
    previousSecretExpiresAt: null,
    stateRevision: 0,
    createdBy: ctx.actor.kind === "api_key" ? ctx.actor.keyId : ctx.actor.userId,
    createdAt: Date.now(),
    lastUsedAt: null,
    expiresAt: fields.expiresAt,
    revokedAt: null,
  };
  const db = database(ctx.env.DB);
  await db.batch([
    db.insert(schema.apiKeys).values(row),
    ...fields.allowedOrigins.map((origin) => db.insert(schema.apiKeyOrigins).values({ origin, keyId: id })),
  ]);
  const state: KeyState = {
    id,
    teamId,
    type: row.type,
    environment: row.environment,
    scopes: row.scopes,
    allowedOrigins: row.allowedOrigins,
    rateLimitPerMinute: row.rateLimitPerMinute,
    expiresAt: row.expiresAt,
    revokedAt: null,
    secrets: [{ hash: row.secretHash, expiresAt: null }],
  };
  // The object would fill itself from D1 on first use anyway; installing now saves that read.
  await credentialStub(ctx, id).install(state);
  return { ...renderKey(row), key: plaintext };
}

export type CreateKeyInput = {
  name: string;
  type: "secret" | "publishable";
  scopes?: string[];
  allowed_origins?: string[];
  rate_limit_per_minute?: number;
  expires_at?: string;
};

export async function createKey(ctx: ServiceContext, input: CreateKeyInput) {
  requireKeyManager(ctx.actor, "write:api_keys");
  const publishable = input.type === "publishable";
  const scopes = publishable ? ["validate:vouchers"] : (input.scopes ?? ["admin"]);
  if (publishable && input.scopes && input.scopes.some((s) => s !== "validate:vouchers")) {
    throw new ApiError("invalid_request", "A publishable key can only hold validate:vouchers.", [{ path: "scopes", message: "must be [\"validate:vouchers\"] or omitted" }]);
  }
  const origins = input.allowed_origins ?? [];
  if (publishable && origins.length === 0) {
    throw new ApiError("invalid_request", "A publishable key needs allowed_origins.", [{ path: "allowed_origins", message: "required for publishable keys" }]);
  }
  if (!publishable && origins.length > 0) {
    throw new ApiError("invalid_request", "Only publishable keys have allowed_origins.", [{ path: "allowed_origins", message: "only for publishable keys" }]);
  }
  const expiresAt = input.expires_at ? toSecond(Date.parse(input.expires_at)) : null;
  if (expiresAt !== null && expiresAt <= Date.now()) {
    throw new ApiError("invalid_request", "expires_at must be in the future.", [{ path: "expires_at", message: "must be in the future" }]);
  }
  const rateLimit = input.rate_limit_per_minute ?? null;
  checkMintingPower(ctx, scopes, expiresAt, rateLimit);
  await ctx.authorize(requireTeam(ctx.actor));
  return insertKey(ctx, { name: input.name, type: input.type, scopes, allowedOrigins: [...new Set(origins)], rateLimit, expiresAt });
}

export async function createAgentKey(ctx: ServiceContext, input: { name: string; scopes: string[]; ttl_days?: number }) {
  requireKeyManager(ctx.actor, "write:api_keys");
  requireRole(ctx.actor, ["owner", "admin"]);
  const expiresAt = toSecond(Date.now() + (input.ttl_days ?? 7) * 86_400_000);
  // An agent key made by a rate-limited key inherits that limit rather than the (possibly higher) default.
  const rateLimit = ctx.actor.kind === "api_key" ? ctx.actor.rateLimitPerMinute : null;
  checkMintingPower(ctx, input.scopes, expiresAt, rateLimit);
  await ctx.authorize(requireTeam(ctx.actor));
  return insertKey(ctx, { name: input.name, type: "agent", scopes: input.scopes, allowedOrigins: [], rateLimit, expiresAt });
}

const activeKey = (teamId: string, now: number) =>
  and(
    eq(schema.apiKeys.teamId, teamId),
    isNull(schema.apiKeys.revokedAt),
    or(isNull(schema.apiKeys.expiresAt), gt(schema.apiKeys.expiresAt, now)),
  );

export async function listKeys(ctx: ServiceContext, query: { limit: number; cursor?: string }) {
  requireKeyManager(ctx.actor, "read:api_keys");
  const teamId = requireTeam(ctx.actor);
  const rows = await database(ctx.env.DB)
    .select()
    .from(schema.apiKeys)
    .where(and(activeKey(teamId, Date.now()), query.cursor ? lt(schema.apiKeys.id, query.cursor) : undefined))
    .orderBy(desc(schema.apiKeys.id))
    .limit(query.limit + 1);
  return page(rows, query.limit, renderKey);
}

async function findActiveKey(ctx: ServiceContext, id: string): Promise<KeyRow> {
  const teamId = requireTeam(ctx.actor);
  const row = await database(ctx.env.DB)
    .select()
    .from(schema.apiKeys)
    .where(and(eq(schema.apiKeys.id, id), activeKey(teamId, Date.now())))
    .get();
  if (!row) throw new ApiError("not_found", "No active API key with this id.");
  return row;
}

export async function rotateKey(ctx: ServiceContext, id: string, input: { expire_old_in_seconds?: number }) {
  requireKeyManager(ctx.actor, "write:api_keys");
  const row = await findActiveKey(ctx, id);
  if (row.type === "agent") throw new ApiError("unsupported_operation", "Agent keys cannot be rotated: revoke it and create a new one.");
  // Rotating hands over a working secret, so it needs the same power as creating that key.
  checkMintingPower(ctx, row.scopes, row.expiresAt, row.rateLimitPerMinute, "rotate");
  await ctx.authorize(requireTeam(ctx.actor));
  const now = Date.now();
  const grace = input.expire_old_in_seconds ?? 0;
  const previousExpiresAt = grace > 0 ? now + grace * 1000 : null;
  const plaintext = await mintKey(ctx.env.KEY_CHECK_SECRET, row.type, row.environment, row.id, row.teamId);
  const hash = await sha256Hex(plaintext);
  const rotation = await credentialStub(ctx, row.id).rotate(row.id, hash, previousExpiresAt);
  if (!rotation) throw new ApiError("not_found", "No active API key with this id.");
  // The listing copy as the object made it (the previous secret is the one it held, not the one read here), and
  // only over an earlier rotation's: of two concurrent rotations D1 keeps the later whatever order they land in.
  const previous = rotation.secrets.find((s) => s.expiresAt !== null) ?? null;
  const updated: KeyRow = {
    ...row,
    displayKey: displayKey(plaintext),
    secretHash: hash,
    previousSecretHash: previous?.hash ?? null,
    previousSecretExpiresAt: previous?.expiresAt ?? null,
    stateRevision: rotation.revision,
  };
  const k = schema.apiKeys;
  await database(ctx.env.DB)
    .update(k)
    .set({
      displayKey: updated.displayKey,
      secretHash: updated.secretHash,
      previousSecretHash: updated.previousSecretHash,
      previousSecretExpiresAt: updated.previousSecretExpiresAt,
      stateRevision: updated.stateRevision,
    })
    .where(and(eq(k.id, row.id), lt(k.stateRevision, rotation.revision)));
  return { ...renderKey(updated), key: plaintext, previous_key_expires_at: iso(previousExpiresAt) };
}

export async function revokeKey(ctx: ServiceContext, id: string) {
  requireKeyManager(ctx.actor, "write:api_keys");
  const row = await findActiveKey(ctx, id);
  requireHeldScopes(ctx.actor, row.scopes, "revoke");
  const now = Date.now();
  // The object first: once it answers, the very next request with this key is refused.
  await credentialStub(ctx, row.id).revoke(row.id, now);
  const db = database(ctx.env.DB);
  await db.batch([
    db.update(schema.apiKeys).set({ revokedAt: now }).where(eq(schema.apiKeys.id, row.id)),
    db.delete(schema.apiKeyOrigins).where(eq(schema.apiKeyOrigins.keyId, row.id)),
  ]);
}
