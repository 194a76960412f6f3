// The isolate's side of the per-credential detectors (src/objects/code-failures.ts): code_enumeration (unknown or
// invalid codes) and redemption_failure_burst (refused redemptions). Failures are noted per API key and handed to
// the key's object with its next authentication, so counting costs no hop; what no request carries within a
// second is handed over from waitUntil, after the answer.
import type { Failures } from "../domain/fraud";
import type { Env, ServiceContext } from "../env";


const pending = new Map<string, Failures>();
const HANDOVER_DELAY_MS = 1000;

function note(ctx: ServiceContext, kind: keyof Failures): void {
  if (ctx.actor.kind !== "api_key") return;
  const keyId = ctx.actor.keyId;
  const held = pending.get(keyId) ?? { codes: 0, redemptions: 0 };
  held[kind] += 1;
  pending.set(keyId, held);
  ctx.waitUntil(new Promise((resolve) => setTimeout(resolve, HANDOVER_DELAY_MS)).then(() => handOver(ctx.env, keyId)));
}

/** A validate or redeem answered with an unknown or invalid code. */
export const noteFailedCode = (ctx: ServiceContext) => note(ctx, "codes");

/** A redemption refused (not eligible, limit reached, duplicate order). */
export const noteRefusedRedemption = (ctx: ServiceContext) => note(ctx, "redemptions");

/** The key's failures not yet handed over; taking them clears them. */
export function takeFailures(keyId: string): Failures | undefined {
  const held = pending.get(keyId);
  pending.delete(keyId);
  return held;
}

async function handOver(env: Env, keyId: string) {
  const held = takeFailures(keyId);
  if (held) await env.CREDENTIALS.get(env.CREDENTIALS.idFromName(keyId)).noteFailures(keyId, held);
}
