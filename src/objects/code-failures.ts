// The per-credential fraud detectors (src/domain/fraud.ts), counted where it costs no extra hop: the credential's
// own object, which every request of the credential reaches anyway. code_enumeration counts unknown or invalid
// codes on validate or redeem; redemption_failure_burst counts refused redemptions. Isolates hand the counts over
// with the credential's next authentication (src/services/code-failures.ts).
import type { Env } from "../env";
import { type Failures, type FraudType, type Threshold, windowStart } from "../domain/fraud";
import { sightingStatements, teamFraudSettings } from "../db/fraud";

const SETTINGS_TTL_MS = 60_000;
const DETECTORS: [keyof Failures, FraudType][] = [
  ["codes", "code_enumeration"],
  ["redemptions", "redemption_failure_burst"],
];

/**
 * A credential's failures per second over the last window: the count is of the last `window_seconds` (to the
 * second), whatever the clock, so a burst that straddles two aligned windows still reaches the threshold.
 */
type Recent = { buckets: { second: number; count: number }[]; written: { start: number; count: number } | null };

export class FailureCounters {
  private recent = new Map<FraudType, Recent>();
  private settings: { thresholds: Record<FraudType, Threshold>; until: number } | null = null;

  constructor(private readonly env: Env) {}

  /**
   * Adds failures; writes an alert when the count of the last window reaches the team's threshold: once for each
   * alert window (aligned, one alert per subject and window), and again at each further multiple of the threshold.
   */
  async note(teamId: string, subject: string, failures: Failures, now: number): Promise<void> {
    const thresholds = await this.thresholds(teamId, now);
    const statements: D1PreparedStatement[] = [];
    for (const [kind, type] of DETECTORS) {
      if (failures[kind] <= 0) continue;
      const threshold = thresholds[type];
      const second = Math.floor(now / 1000);
      const recent = this.recent.get(type) ?? { buckets: [], written: null };
      this.recent.set(type, recent);
      const last = recent.buckets[recent.buckets.length - 1];
      if (last && last.second === second) last.count += failures[kind];
      else recent.buckets.push({ second, count: failures[kind] });
      recent.buckets = recent.buckets.filter((b) => b.second > second - threshold.window_seconds);
      const count = recent.buckets.reduce((n, b) => n + b.count, 0);
      if (count < threshold.count) continue;
      const start = windowStart(now, threshold.window_seconds);
      const written = recent.written;
      // Not a D1 write per failure: the alert's count is brought up to date at each multiple of the threshold.
      if (written && written.start === start && Math.floor(count / threshold.count) <= Math.floor(written.count / threshold.count)) continue;
      recent.written = { start, count };
      statements.push(...sightingStatements(this.env, { teamId, type, subject, count, at: now, threshold }));
    }
    if (statements.length > 0) await this.env.DB.batch(statements);
  }

  private async thresholds(teamId: string, now: number): Promise<Record<FraudType, Threshold>> {
    if (!this.settings || this.settings.until <= now) {
      this.settings = { thresholds: await teamFraudSettings(this.env, teamId), until: now + SETTINGS_TTL_MS };
    }
    return this.settings.thresholds;
  }
}
