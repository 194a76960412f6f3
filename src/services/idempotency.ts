// The core of Idempotency-Key (API.md §3), shared by REST (middleware/idempotency.ts, the header) and MCP tool
// calls (mcp/call.ts, the idempotency_key argument): one IdempotencyObject per (credential, key) serializes
// attempts, binds the key to the first request's method, path and body, and keeps the first answer sealed.
// Handing a stored answer out is left to the caller: it must wait until the verb has authorized the request again
// (the ServiceContext's authorize checkpoint), so a credential that lost the power gets that error instead.
import type { Actor, Env } from "../env";
import { ApiError } from "../errors";
import { sha256Hex } from "../lib/crypto";
import { seal, unseal } from "../lib/sealing";

/** 1–255 visible ASCII characters: no spaces, which a header may lose at either end. */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** An answer as kept for a key, in plaintext; `teamId` is the team the first attempt was authorized for. */
export type IdempotentAnswer = { status: number; body: string; contentType: string | null; teamId: string | null };

export type Claim =
  | { kind: "replay"; answer: IdempotentAnswer }
  /** This attempt runs; `complete(null)` frees the key (refused before authorization, or a 5xx). */
  | { kind: "execute"; complete: (answer: IdempotentAnswer | null) => Promise<void> };

/** Keys are scoped to the credential: an API key (the same after rotation), or a user across their teams. */
export function credentialNamespace(actor: Actor): string {
  return actor.kind === "api_key" ? `key:${actor.keyId}` : `user:${actor.userId}`;
}

/**
 * Claims `key` in `namespace` for a request. The same request again gets the stored answer (`replay`), a
 * different one 422 `idempotency_key_mismatch`, one while the first still runs 409 `idempotency_key_in_use`.
 */
export async function claimIdempotencyKey(
  env: Env,
  namespace: string,
  key: string,
  request: { method: string; path: string; body: string },
): Promise<Claim> {
  const fingerprint = await sha256Hex(`${request.method} ${request.path}\n${request.body}`);
  const stub = env.IDEMPOTENCY.get(env.IDEMPOTENCY.idFromName(`${namespace}\n${key}`));
  const begun = await stub.begin(fingerprint);
  if (begun.kind === "mismatch") throw new ApiError("idempotency_key_mismatch");
  if (begun.kind === "in_use") throw new ApiError("idempotency_key_in_use");
  if (begun.kind === "replay") {
    const body = await unseal(env.ENCRYPTION_KEY, begun.answer.body);
    if (body === null) {
      throw new ApiError("idempotency_key_mismatch", "The answer stored for this Idempotency-Key can no longer be read: send the request with a new key.");
    }
    return { kind: "replay", answer: { ...begun.answer, body } };
  }
  return {
    kind: "execute",
    // Sealed: a stored answer can carry a new key's plaintext or tokens.
    complete: async (answer) => stub.complete(begun.attempt, answer && { ...answer, body: await seal(env.ENCRYPTION_KEY, answer.body) }),
  };
}
