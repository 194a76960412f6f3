// The worker's side of the validation counts of answers taken from a voucher's preview (services/validate-preview.ts).
// A preview runs before the key is accepted, so it counts nothing; once the key is accepted the validation is
// tallied here, per voucher object, and handed to the object with the next preview asked of it (no extra call, and
// nothing on the answer path), or from waitUntil a second later when no preview follows. At most once: an isolate
// that dies first, or a hand-over that fails, loses those counts, as an object reset loses the counts it had not
// folded yet (objects/voucher-validations.ts); they feed reports, never a decision.
import { tally, type ValidationTally } from "../domain/validation-tally";
import type { Env, ServiceContext } from "../env";

const HANDOVER_DELAY_MS = 1000;
const pending = new Map<string, ValidationTally[]>();
/** Voucher objects with a hand-over timer set: one per voucher and second, however many validations it answers. */
const armed = new Set<string>();

const voucherObject = (env: Env, name: string) => env.VOUCHERS.get(env.VOUCHERS.idFromName(name));

/** A validation answered from the preview of the voucher object named `objectName`, its key accepted. */
export function noteValidation(ctx: Pick<ServiceContext, "env" | "waitUntil">, objectName: string, valid: boolean): void {
  let held = pending.get(objectName);
  if (!held) {
    held = [];
    pending.set(objectName, held);
  }
  tally(held, Date.now(), valid);
  if (armed.has(objectName)) return;
  armed.add(objectName);
  ctx.waitUntil(
    new Promise((resolve) => setTimeout(resolve, HANDOVER_DELAY_MS)).then(() => {
      armed.delete(objectName);
      return handOver(ctx.env, objectName);
    }),
  );
}

/** The counts waiting for the voucher object `objectName`; taking them clears them. */
export function takeTallies(objectName: string): ValidationTally[] | undefined {
  const held = pending.get(objectName);
  pending.delete(objectName);
  return held;
}

async function handOver(env: Env, objectName: string) {
  const held = takeTallies(objectName);
  if (!held) return;
  await voucherObject(env, objectName)
    .countValidations(held)
    .catch((err) => console.error(JSON.stringify({ level: "warn", event: "validation_counts_lost", error: err instanceof Error ? err.message : String(err) })));
}
