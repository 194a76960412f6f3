// A voucher's validations, per hour: what a voucher object counts, and what a worker that answered validations
// from the object's preview hands back to it afterwards (services/validation-tallies.ts). Pure: both sides share it.
export const HOUR_MS = 60 * 60 * 1000;

export type ValidationTally = { hour: number; validations: number; valid: number };

/** Adds one validation answered at `at` to `tallies` (at most one entry per hour). */
export function tally(tallies: ValidationTally[], at: number, valid: boolean): void {
  const hour = at - (at % HOUR_MS);
  let entry = tallies.find((t) => t.hour === hour);
  if (!entry) {
    entry = { hour, validations: 0, valid: 0 };
    tallies.push(entry);
  }
  entry.validations += 1;
  if (valid) entry.valid += 1;
}
