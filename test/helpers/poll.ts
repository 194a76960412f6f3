// Waiting for what happens after an answer (queue consumers, alarms, waitUntil work, a real receiver) without
// assuming the machine is fast: read until a condition holds, returning the moment it does, and give up only at a
// deadline generous enough for a loaded CI machine. Plain timers only, so the browser tests (Node) can use it too.

/** How long background work may take to show before a test gives up on it (a loaded 2-core CI machine included). */
export const PATIENCE_MS = 20_000;

export type PollOptions = {
  /** Give up after this long; default PATIENCE_MS. */
  timeoutMs?: number;
  /** Pause between reads; default 50 ms. */
  intervalMs?: number;
  /** Runs before each pause (e.g. the objects' alarms, so their outboxes ship now). */
  between?: () => Promise<unknown>;
};

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Reads until `done(value)` holds and returns that value. At the deadline it returns the last value read, so the
 * test's own assertion fails showing it. A read that throws fails the poll at once (wrap it to retry instead).
 */
export async function pollUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, options: PollOptions = {}): Promise<T> {
  const { timeoutMs = PATIENCE_MS, intervalMs = 50, between } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() >= deadline) return value;
    if (between) await between();
    await pause(intervalMs);
  }
}

/**
 * Waits, if need be, until the clock is at least `marginMs` away from the next whole hour, so that work bucketed by
 * the hour (validation counts, analytics series) done within `marginMs` from now falls in one hour. Returns at once
 * except in the last `marginMs` of an hour.
 */
export async function clearOfHourBoundary(marginMs = 30_000): Promise<void> {
  const HOUR = 3_600_000;
  const left = HOUR - (Date.now() % HOUR);
  if (left < marginMs) await pause(left + 50);
}
