// Idempotency-Key on POST/PATCH (API.md §3): the same key with the same method, path and body replays the first
// answer; anything else with that key is refused. Keys are scoped to the credential that sends them: an API key
// (the same after rotation), or a user within the team they act on. Sign-up, login and refresh have no credential,
// so their keys are scoped to what the body proves (the email; the email and password; the refresh token).
//
// A replay is authorized like a new request: authentication and the rate limit ran before this middleware, and
// the stored answer is only handed out once the service verb has passed its own checks and calls
// `ctx.authorize(team)` (routes/context.ts), which throws StoredAnswerReplay for the error handler to render. A
// credential that lost the power to make the call gets that error instead, and a user's key used for another
// team is a mismatch. A request refused before its verb authorized it is not kept (Stripe does the same), so a
// retry is checked afresh. Stored bodies are sealed (AES-GCM): they can carry a new key's plaintext or tokens.
//
// The key's object, fingerprint and sealing live in services/idempotency.ts, which MCP tool calls use as well.
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { ApiError, StoredAnswerReplay } from "../errors";
import { sha256Hex } from "../lib/crypto";
import { authorizeRefreshReplay } from "../services/auth";
import { claimIdempotencyKey, credentialNamespace, IDEMPOTENCY_KEY_PATTERN, type IdempotentAnswer } from "../services/idempotency";

/** Where the header means nothing: an MCP request carries one tool call, keyed by its idempotency_key argument. */
const PER_CALL_KEYS = new Set(["/v1/mcp"]);

/** What identifies the caller of an unauthenticated endpoint, read from its body. */
const PUBLIC_IDENTITY: Record<string, (body: Record<string, unknown>) => unknown[]> = {
  "/v1/auth/signup": (b) => [typeof b.email === "string" ? b.email.toLowerCase() : b.email],
  "/v1/auth/login": (b) => [typeof b.email === "string" ? b.email.toLowerCase() : b.email, b.password],
  "/v1/auth/refresh": (b) => [b.refresh_token],
};

/** The namespace a key lives in, or null when a public request names nobody (it then fails validation anyway). */
async function namespaceOf(c: Context<AppEnv>, body: string): Promise<string | null> {
  const actor = c.get("actor") as AppEnv["Variables"]["actor"] | undefined;
  // One namespace per user across their teams: the team a replay acts on is checked by ctx.authorize().
  if (actor) return credentialNamespace(actor);
  const identity = PUBLIC_IDENTITY[c.req.path];
  if (!identity) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return null;
  const parts = identity(parsed as Record<string, unknown>);
  if (parts.some((p) => typeof p !== "string" || p.length === 0)) return null;
  return `public:${c.req.path}:${await sha256Hex(JSON.stringify(parts))}`;
}

/**
 * How a public endpoint's stored answer is authorized again before it is replayed (API.md §3), beside what
 * identifies its caller: a refresh's tokens only while its session is where the answer left it. Sign-up and login
 * need nothing more than the body that matched.
 */
const PUBLIC_REPLAY_CHECK: Record<string, (env: AppEnv["Bindings"], body: Record<string, unknown>, answered: Record<string, unknown>) => Promise<void>> = {
  "/v1/auth/refresh": async (env, body, answered) => {
    if (typeof answered.refresh_token === "string") await authorizeRefreshReplay(env, String(body.refresh_token), answered.refresh_token);
  },
};

async function authorizePublicReplay(c: Context<AppEnv>, body: string, answer: IdempotentAnswer) {
  const check = PUBLIC_REPLAY_CHECK[c.req.path];
  // An answer that handed nothing out (a refusal) is replayed as it is.
  if (!check || answer.status >= 400) return;
  await check(c.env, JSON.parse(body) as Record<string, unknown>, JSON.parse(answer.body) as Record<string, unknown>);
}

export const idempotency = createMiddleware<AppEnv>(async (c, next) => {
  const key = c.req.header("Idempotency-Key");
  if (key === undefined || (c.req.method !== "POST" && c.req.method !== "PATCH")) return next();
  if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
    throw new ApiError("invalid_header", "Idempotency-Key must be 1–255 visible ASCII characters (no spaces).", [
      { path: "Idempotency-Key", message: "1–255 visible ASCII characters, no spaces" },
    ]);
  }
  if (PER_CALL_KEYS.has(c.req.path)) {
    throw new ApiError("invalid_header", "Idempotency-Key is not read on /v1/mcp: pass idempotency_key as an argument of the tool call.", [
      { path: "Idempotency-Key", message: "use the tool's idempotency_key argument" },
    ]);
  }
  // A preview persists nothing, so there is nothing to protect from a retry.
  if (c.req.header("Vauchflow-Dry-Run")?.trim().toLowerCase() === "true") return next();
  const body = await c.req.text();
  const namespace = await namespaceOf(c, body);
  if (namespace === null) return next();
  const url = new URL(c.req.url);
  const claim = await claimIdempotencyKey(c.env, namespace, key, { method: c.req.method, path: `${url.pathname}${url.search}`, body });
  if (claim.kind === "replay") {
    // No credential on a public endpoint: the body that matched the fingerprint is the proof (PUBLIC_REPLAY_CHECK).
    if (!c.get("actor")) {
      await authorizePublicReplay(c, body, claim.answer);
      throw new StoredAnswerReplay(claim.answer);
    }
    c.set("storedAnswer", claim.answer);
    await next();
    if (!(c.error instanceof StoredAnswerReplay) && c.res.status < 400) {
      // The verb ran again without calling ctx.authorize(): a bug the idempotency tests exist to catch.
      console.error(JSON.stringify({ level: "error", request_id: c.get("requestId"), idempotency: "replay reached no authorization checkpoint", path: c.req.path }));
    }
    return;
  }
  await next();
  // An authenticated request refused before its verb authorized it is not kept: the retry checks again.
  const authorizedTeam = c.get("authorizedTeam");
  if (c.get("actor") && authorizedTeam === undefined) return claim.complete(null);
  // Kept before the answer leaves, so a retry that arrives next is replayed, never run again.
  await claim.complete({
    status: c.res.status,
    body: await c.res.clone().text(),
    contentType: c.res.headers.get("Content-Type"),
    teamId: authorizedTeam ?? null,
  });
});
