// Idempotency-Key on POST/PATCH: the same key with the same method, path and body replays the first answer;
// anything else with that key is refused. Scoped to the credential's team (a user without one: to the user;
// sign-up, login and refresh, which have no credential, share one scope where the body tells callers apart).
import { createMiddleware } from "hono/factory";
import type { StatusCode } from "hono/utils/http-status";
import type { AppEnv } from "../env";
import { ApiError } from "../errors";
import { sha256Hex } from "../lib/crypto";

const MAX_KEY_LENGTH = 255;

export const idempotency = createMiddleware<AppEnv>(async (c, next) => {
  const key = c.req.header("Idempotency-Key");
  if (key === undefined || (c.req.method !== "POST" && c.req.method !== "PATCH")) return next();
  if (key.length < 1 || key.length > MAX_KEY_LENGTH || /[^\x21-\x7e]/.test(key)) {
    throw new ApiError("invalid_header", "Idempotency-Key must be 1–255 printable ASCII characters.", [
      { path: "Idempotency-Key", message: "1–255 printable ASCII characters" },
    ]);
  }
  // A preview persists nothing, so there is nothing to protect from a retry.
  if (c.req.header("Vauchflow-Dry-Run")?.trim().toLowerCase() === "true") return next();
  const actor = c.get("actor") as AppEnv["Variables"]["actor"] | undefined;
  const scope = !actor ? "public" : (actor.teamId ?? (actor.kind === "user" ? `user:${actor.userId}` : actor.keyId));
  const url = new URL(c.req.url);
  const fingerprint = await sha256Hex(`${c.req.method} ${url.pathname}${url.search}\n${await c.req.text()}`);
  const stub = c.env.IDEMPOTENCY.get(c.env.IDEMPOTENCY.idFromName(`${scope}:${key}`));
  const begun = await stub.begin(fingerprint);
  if (begun.kind === "mismatch") throw new ApiError("idempotency_key_mismatch");
  if (begun.kind === "in_use") throw new ApiError("idempotency_key_in_use");
  if (begun.kind === "replay") {
    const { status, body, contentType } = begun.answer;
    c.header("Idempotent-Replayed", "true");
    if (contentType) c.header("Content-Type", contentType);
    return c.newResponse(status === 204 ? null : body, status as StatusCode);
  }
  await next();
  const body = await c.res.clone().text();
  // Kept before the answer leaves, so a retry that arrives next is replayed, never run again.
  await stub.complete(begun.attempt, { status: c.res.status, body, contentType: c.res.headers.get("Content-Type") });
});
