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

export class FailureCounters {
  private windows = new Map<FraudType, { start: number; count: number }>();
  private settings: { thresholds: Record<FraudType, Threshold>; until: number } | null = null;

  constructor(private readonly env: Env) {}

  /** Adds failures; writes an alert when a count reaches the team's threshold, and at each further multiple of it. */
  async note(teamId: string, subject: string, failures: Failures, now: number): Promise<void> {
    const thresholds = await this.thresholds(teamId, now);
    const statements: D1PreparedStatement[] = [];
    for (const [kind, type] of DETECTORS) {
      if (failures[kind] <= 0) continue;
      const threshold = thresholds[type];
      const start = windowStart(now, threshold.window_seconds);
      const window = this.windows.get(type);
      const current = window && window.start === start ? window : { start, count: 0 };
      const before = current.count;
      current.count += failures[kind];
      this.windows.set(type, current);
      // Not a D1 write per failure: the alert's count is brought up to date at each multiple of the threshold.
      if (current.count < threshold.count || Math.floor(current.count / threshold.count) === Math.floor(before / threshold.count)) continue;
      statements.push(...sightingStatements(this.env, { teamId, type, subject, count: current.count, at: now, threshold }));
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
