// The isolate's side of code_enumeration (src/objects/code-failures.ts): failed codes are noted per API key and
// handed to the key's object with its next authentication, so counting costs no hop; what no request carries
// within a second is handed over from waitUntil, after the answer.
import type { Env, ServiceContext } from "../env";

const pending = new Map<string, number>();
const HANDOVER_DELAY_MS = 1000;

/** A validate or redeem answered with an unknown or invalid code. */
export function noteFailedCode(ctx: ServiceContext): void {
  if (ctx.actor.kind !== "api_key") return;
  const keyId = ctx.actor.keyId;
  pending.set(keyId, (pending.get(keyId) ?? 0) + 1);
  ctx.waitUntil(new Promise((resolve) => setTimeout(resolve, HANDOVER_DELAY_MS)).then(() => handOver(ctx.env, keyId)));
}

/** The key's failed codes not yet handed over; taking them clears them. */
export function takeFailedCodes(keyId: string): number {
  const n = pending.get(keyId) ?? 0;
  pending.delete(keyId);
  return n;
}

async function handOver(env: Env, keyId: string) {
  const n = takeFailedCodes(keyId);
  if (n > 0) await env.CREDENTIALS.get(env.CREDENTIALS.idFromName(keyId)).noteFailedCodes(keyId, n);
}
