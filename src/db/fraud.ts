// Fraud alerts' writes and a team's thresholds, shared by the detectors wherever they count: the ledger consumer,
// the credential objects (src/objects/code-failures.ts) and the services.
import { eq } from "drizzle-orm";
import { type FraudSettings, type FraudType, type Threshold, severityOf, windowStart, withFraudDefaults } from "../domain/fraud";
import { newEvent } from "../domain/webhook-events";
import type { Env } from "../env";
import { newId } from "../lib/ids";
import { iso } from "../lib/time";
import { database, schema } from "./client";
import { eventStatements } from "./webhook-events";

export async function teamFraudSettings(env: Env, teamId: string): Promise<FraudSettings> {
  const row = await database(env.DB).select().from(schema.fraudSettings).where(eq(schema.fraudSettings.teamId, teamId)).get();
  return withFraudDefaults(row?.settings ?? null);
}

export type Sighting = { teamId: string; type: FraudType; subject: string; count: number; at: number; threshold: Threshold };

/**
 * The statements that record a sighting when its count reached the threshold (none otherwise): the alert of its
 * window, created or brought up to date, and a `fraud.alert` event only when the alert is new.
 */
export function sightingStatements(env: Env, s: Sighting): D1PreparedStatement[] {
  if (s.count < s.threshold.count) return [];
  const start = windowStart(s.at, s.threshold.window_seconds);
  const severity = severityOf(s.count, s.threshold.count);
  const id = newId("frd");
  const event = newEvent(s.teamId, "fraud.alert", {
    id,
    type: s.type,
    severity,
    subject: s.subject,
    count: s.count,
    window_seconds: s.threshold.window_seconds,
    first_seen: iso(s.at),
  });
  const isNew = {
    sql: "NOT EXISTS (SELECT 1 FROM fraud_alerts WHERE team_id = ?2 AND type = ?3 AND subject = ?4 AND window_start = ?5)",
    params: [s.teamId, s.type, s.subject, start],
  };
  return [
    ...eventStatements(env.DB, [event], isNew),
    env.DB.prepare(
      `INSERT INTO fraud_alerts (id, team_id, type, severity, subject, window_start, window_seconds, count, first_seen, last_seen)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (team_id, type, subject, window_start) DO UPDATE SET
         severity = CASE WHEN excluded.count > count THEN excluded.severity ELSE severity END,
         count = max(count, excluded.count), last_seen = max(last_seen, excluded.last_seen)`,
    ).bind(id, s.teamId, s.type, severity, s.subject, start, s.threshold.window_seconds, s.count, s.at, s.at),
  ];
}

