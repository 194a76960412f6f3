// Publishable keys live in browsers: they may only validate, only from their allowed origins, with CORS.
// A preflight carries no key, so it is answered for any origin that some active publishable key allows;
// the real request is then checked against its own key's list.
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { ApiError } from "../errors";

const VALIDATE_PATH = /^\/v1\/vouchers\/[^/]+\/validate$/;
const ALLOWED_HEADERS = "Authorization, Content-Type, X-API-Key, Idempotency-Key, Vauchflow-Agent-Context";
const EXPOSED_HEADERS = "Request-Id, RateLimit, RateLimit-Policy, Retry-After";

function corsHeaders(c: Context<AppEnv>, origin: string) {
  c.header("Access-Control-Allow-Origin", origin);
  c.header("Vary", "Origin");
  c.header("Access-Control-Expose-Headers", EXPOSED_HEADERS);
}

/**
 * A browser can read a refusal only if it carries CORS headers: a 401 on the validate route is readable by the
 * calling origin (it says nothing but "invalid key"), a 429 by the key's allowed origins (with Retry-After).
 */
export function exposeRefusal(c: Context<AppEnv>, allowedOrigins: string[] | null) {
  const origin = c.req.header("Origin");
  if (!origin || c.req.method !== "POST" || !VALIDATE_PATH.test(c.req.path)) return;
  if (allowedOrigins === null || allowedOrigins.includes(origin)) corsHeaders(c, origin);
}

export async function validatePreflight(c: Context<AppEnv>) {
  const origin = c.req.header("Origin");
  if (!origin) throw new ApiError("origin_not_allowed", "A CORS preflight needs an Origin header.");
  const allowed = await c.env.DB.prepare(
    `SELECT 1 FROM api_key_origins o JOIN api_keys k ON k.id = o.key_id
      WHERE o.origin = ? AND k.type = 'publishable' AND k.revoked_at IS NULL LIMIT 1`,
  )
    .bind(origin)
    .first();
  if (!allowed) throw new ApiError("origin_not_allowed");
  corsHeaders(c, origin);
  c.header("Access-Control-Allow-Methods", "POST, OPTIONS");
  c.header("Access-Control-Allow-Headers", ALLOWED_HEADERS);
  c.header("Access-Control-Max-Age", "600");
  return c.body(null, 204);
}

export const publishableGate = createMiddleware<AppEnv>(async (c, next) => {
  const actor = c.get("actor");
  if (actor?.kind !== "api_key" || actor.keyType !== "publishable") return next();
  if (c.req.method !== "POST" || !VALIDATE_PATH.test(c.req.path)) {
    throw new ApiError("key_type_not_allowed", "A publishable key may only call POST /v1/vouchers/{code}/validate.");
  }
  const origin = c.req.header("Origin");
  if (!origin || !actor.allowedOrigins.includes(origin)) throw new ApiError("origin_not_allowed");
  corsHeaders(c, origin);
  await next();
});
