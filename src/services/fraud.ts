// Fraud alerts (API.md §7): the detectors' writes (one upsert per subject and window, a `fraud.alert` webhook event
// when an alert first appears), the team's thresholds, and the list.
import { and, desc, eq, gte, lt } from "drizzle-orm";
import { database, schema } from "../db/client";
import { type FraudSettings, type FraudType, type Threshold, severityOf, windowStart, withFraudDefaults } from "../domain/fraud";
import { newEvent } from "../domain/webhook-events";
import type { Env, ServiceContext } from "../env";
import { newId } from "../lib/ids";
import { iso } from "../lib/time";
import { requireKeyType, requireRole, requireScope, requireTeam, timeWindow } from "./access";
import { eventStatements } from "./webhook-outbox";

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

type AlertRow = typeof schema.fraudAlerts.$inferSelect;

const renderAlert = (r: AlertRow) => ({
  id: r.id,
  type: r.type,
  severity: r.severity,
  subject: r.subject,
  count: r.count,
  window_seconds: r.windowSeconds,
  first_seen: iso(r.firstSeen),
  last_seen: iso(r.lastSeen),
});

const MAX_ALERTS = 500;

/** The team's alerts last seen in the window, newest first (at most 500). */
export async function listFraudAlerts(ctx: ServiceContext, query: { from?: string; to?: string }) {
  requireScope(ctx.actor, "read:analytics");
  const teamId = requireTeam(ctx.actor);
  const { from, to } = timeWindow(query);
  const t = schema.fraudAlerts;
  const rows = await database(ctx.env.DB)
    .select()
    .from(t)
    .where(and(eq(t.teamId, teamId), gte(t.lastSeen, from), lt(t.lastSeen, to)))
    .orderBy(desc(t.lastSeen))
    .limit(MAX_ALERTS);
  return { data: rows.map(renderAlert) };
}

export async function getFraudSettings(ctx: ServiceContext) {
  requireScope(ctx.actor, "read:analytics");
  const teamId = requireTeam(ctx.actor);
  return { object: "fraud_settings" as const, ...(await teamFraudSettings(ctx.env, teamId)) };
}

/** Owners and admins (or an admin key) change thresholds; detectors read them on their next sighting. */
export async function putFraudSettings(ctx: ServiceContext, input: Partial<Record<FraudType, Partial<Threshold>>>) {
  const { actor } = ctx;
  requireKeyType(actor, ["secret"]);
  requireRole(actor, ["owner", "admin"]);
  requireScope(actor, "admin");
  const teamId = requireTeam(actor);
  await ctx.authorize(teamId);
  const settings = withFraudDefaults(input);
  await database(ctx.env.DB)
    .insert(schema.fraudSettings)
    .values({ teamId, settings, updatedAt: Date.now() })
    .onConflictDoUpdate({ target: schema.fraudSettings.teamId, set: { settings, updatedAt: Date.now() } });
  return { object: "fraud_settings" as const, ...settings };
}
