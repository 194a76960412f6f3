// code_enumeration (src/domain/fraud.ts), counted where it costs no extra hop: the credential's own object, which
// every request of the credential reaches anyway. Isolates note a credential's failed codes (unknown or invalid
// on validate or redeem) and hand the count over with that credential's next authentication; a count left over
// when no request follows is handed over from waitUntil (off the response path).
import type { Env } from "../env";
import { teamFraudSettings, sightingStatements } from "../services/fraud";
import { windowStart } from "../domain/fraud";
import type { Threshold } from "../domain/fraud";

const SETTINGS_TTL_MS = 60_000;

/** One credential's failed codes in the current window, and when to tell D1. */
export class CodeFailureCounter {
  private window = { start: 0, count: 0 };
  private settings: { threshold: Threshold; until: number } | null = null;

  constructor(private readonly env: Env) {}

  /** Adds failures; when the count is at or past the team's threshold, returns the D1 write that records it. */
  async note(teamId: string, subject: string, failures: number, now: number): Promise<Promise<unknown> | null> {
    const threshold = await this.threshold(teamId, now);
    const start = windowStart(now, threshold.window_seconds);
    if (start !== this.window.start) this.window = { start, count: 0 };
    const before = this.window.count;
    this.window.count += failures;
    const after = this.window.count;
    // Written when the threshold is first reached and at each further multiple of it: the alert's count stays
    // current without a D1 write per failure.
    if (after < threshold.count || Math.floor(after / threshold.count) === Math.floor(before / threshold.count)) return null;
    const statements = sightingStatements(this.env, { teamId, type: "code_enumeration", subject, count: after, at: now, threshold });
    return this.env.DB.batch(statements);
  }

  private async threshold(teamId: string, now: number): Promise<Threshold> {
    if (!this.settings || this.settings.until <= now) {
      const settings = await teamFraudSettings(this.env, teamId);
      this.settings = { threshold: settings.code_enumeration, until: now + SETTINGS_TTL_MS };
    }
    return this.settings.threshold;
  }
}
