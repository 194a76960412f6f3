// When a failed webhook delivery is tried again (API.md §9), and when its endpoint is given up on. Pure: every
// function takes the clock as an argument, so the schedule is tested by moving times, not by waiting.

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Waits after the 1st, 2nd, … failed attempt; after these, every 12 hours. */
export const EARLY_RETRY_DELAYS_MS = [5 * MINUTE, 30 * MINUTE, 2 * HOUR, 5 * HOUR, 10 * HOUR] as const;
export const LATE_RETRY_DELAY_MS = 12 * HOUR;
/** No attempt is made later than this after the delivery began: the next one would be, so it is dead. */
export const GIVE_UP_AFTER_MS = 72 * HOUR;
/** The longest wait a receiver's Retry-After can ask for, which is also the longest a Queue message can be delayed. */
export const MAX_RETRY_AFTER_MS = 12 * HOUR;
/** An endpoint whose every attempt has failed for this long is disabled (`failing`). */
export const DISABLE_AFTER_FAILING_MS = 5 * 24 * HOUR;
/** An attempt that has not answered within this long has failed. */
export const ATTEMPT_TIMEOUT_MS = 15_000;

/** The wait the schedule sets after `attempt` (1-based) failed. */
export const scheduledDelay = (attempt: number) => EARLY_RETRY_DELAYS_MS[attempt - 1] ?? LATE_RETRY_DELAY_MS;

/**
 * When to try again after attempt number `attempt` failed, or null when the delivery is dead. A receiver's
 * Retry-After (capped at 12 h) is honoured: the next attempt is never earlier than it asks.
 */
export function nextAttemptAt(options: { attempt: number; now: number; startedAt: number; retryAfterMs?: number | null }): number | null {
  const asked = Math.min(Math.max(0, options.retryAfterMs ?? 0), MAX_RETRY_AFTER_MS);
  const at = options.now + Math.max(scheduledDelay(options.attempt), asked);
  return at - options.startedAt > GIVE_UP_AFTER_MS ? null : at;
}

/** Retry-After as delay-seconds or an HTTP date, in milliseconds from `now`; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | null {
  if (value === null) return null;
  const text = value.trim();
  if (/^\d{1,10}$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** The planned attempts of a delivery that always fails, as offsets from its start: what README's table shows. */
export function plannedOffsets(): number[] {
  const offsets = [0];
  for (let attempt = 1; ; attempt++) {
    const last = offsets[offsets.length - 1]!;
    const next = nextAttemptAt({ attempt, now: last, startedAt: 0 });
    if (next === null) return offsets;
    offsets.push(next);
  }
}
