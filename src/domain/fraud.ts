// Fraud detectors (API.md §7): what each counts, over which window, and when it raises an alert. Defaults are
// meant to catch abuse without flagging a busy honest shop; a team may change any of them.
//   customer_velocity         one customer's redemptions across the team's vouchers in the window
//   code_enumeration          one credential's validations or redemptions of unknown or invalid codes in the window
//   redemption_failure_burst  one credential's refused redemptions (not eligible, limit reached, duplicate) in the window
export const FRAUD_TYPES = ["customer_velocity", "code_enumeration", "redemption_failure_burst"] as const;
export type FraudType = (typeof FRAUD_TYPES)[number];
export type Threshold = { count: number; window_seconds: number };
export type FraudSettings = Record<FraudType, Threshold>;

export const DEFAULT_FRAUD_SETTINGS: FraudSettings = {
  customer_velocity: { count: 5, window_seconds: 600 },
  code_enumeration: { count: 20, window_seconds: 60 },
  redemption_failure_burst: { count: 25, window_seconds: 60 },
};

export function withFraudDefaults(stored: Partial<Record<string, Partial<Threshold>>> | null): FraudSettings {
  const out = structuredClone(DEFAULT_FRAUD_SETTINGS);
  for (const type of FRAUD_TYPES) {
    const given = stored?.[type];
    if (given?.count !== undefined) out[type].count = given.count;
    if (given?.window_seconds !== undefined) out[type].window_seconds = given.window_seconds;
  }
  return out;
}

/** Severity grows with how far past the threshold the count went. */
export function severityOf(count: number, threshold: number): "low" | "medium" | "high" {
  if (count >= threshold * 4) return "high";
  if (count >= threshold * 2) return "medium";
  return "low";
}

/** The start of the window `at` falls in: one alert per subject and window. */
export const windowStart = (at: number, windowSeconds: number) => Math.floor(at / (windowSeconds * 1000)) * windowSeconds * 1000;

/** A credential's failures an isolate saw since it last handed them to the credential's object. */
export type Failures = { codes: number; redemptions: number };
