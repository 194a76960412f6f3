// A warm validate in one sequential hop. At the edge every Durable Object call is a round trip, so the key's
// object and the voucher's object are asked at the same time: the voucher's preview (VoucherObject.preview) is
// computed while the key is being checked. The key names its team (lib/api-keys.ts), so the voucher's object
// (`<team>:<CODE>`) is known before the key's object answers; the team only counts once that object agrees.
// The preview writes nothing, and its answer is used only if the key is accepted, may validate (scope, approval
// policy, publishable origin), was admitted by the rate limit, and the request acts on the team and code and body
// the preview was asked for; otherwise it is thrown away. Its validation is counted afterwards
// (validation-tallies.ts). A cold voucher or campaign (not loaded in its object), or a legacy key without its
// team: the ordinary validate after authentication, as before. Redeem never speculates: it writes.
import type { ServiceContext } from "../env";
import { normalizeCode } from "../lib/codes";
import type { PreviewOutcome, ValidateOutcome, VoucherRef } from "../objects/voucher";
import { noteValidation, takeTallies } from "./validation-tallies";
import type { RedemptionRequest } from "../domain/voucher-rules";

export type Speculation = { objectName: string; request: RedemptionRequest; outcome: Promise<PreviewOutcome> };

const objectName = (ref: VoucherRef) => `${ref.teamId}:${ref.code}`;

/** Asks the voucher's preview for a validate whose key claims `teamId`, before that key is checked. */
export function speculate(ctx: Pick<ServiceContext, "env">, teamId: string, code: string, request: RedemptionRequest): Speculation {
  const name = objectName({ teamId, code: normalizeCode(code) });
  const stub = ctx.env.VOUCHERS.get(ctx.env.VOUCHERS.idFromName(name));
  // Counts of earlier, accepted validations ride along: they are owed whatever this request turns out to be.
  const outcome = stub.preview(request, takeTallies(name)).catch((): PreviewOutcome => "cold");
  return { objectName: name, request, outcome };
}

/**
 * The speculated answer when it is for this very validation (checked after authentication and authorization) and
 * the voucher was warm; null otherwise. Taking it notes the validation for the voucher's counts.
 */
export async function speculatedOutcome(
  ctx: Pick<ServiceContext, "env" | "waitUntil">,
  speculation: Speculation | null | undefined,
  ref: VoucherRef,
  request: RedemptionRequest,
): Promise<NonNullable<ValidateOutcome> | null> {
  if (!speculation || speculation.objectName !== objectName(ref) || JSON.stringify(speculation.request) !== JSON.stringify(request)) return null;
  const outcome = await speculation.outcome;
  if (outcome === "cold") return null;
  noteValidation(ctx, speculation.objectName, outcome.evaluation.ok);
  return outcome;
}
