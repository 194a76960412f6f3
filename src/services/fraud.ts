// Fraud alerts (API.md §7): the list and the team's thresholds. The detectors' writes (one upsert per subject and
// window, a `fraud.alert` event when an alert is new) are in src/db/fraud.ts, shared with the objects.
import { and, asc, desc, eq, gte, lt } from "drizzle-orm";
import { database, schema } from "../db/client";
import { type FraudType, type Threshold, withFraudDefaults } from "../domain/fraud";
import { teamFraudSettings } from "../db/fraud";
import type { ServiceContext } from "../env";
import { iso } from "../lib/time";
import { requireKeyType, requireRole, requireScope, requireTeam, timeWindow } from "./access";

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

/** The velocity alerts that name a customer (the other detectors name credentials), oldest first. */
export async function customerAlerts(ctx: Pick<ServiceContext, "env">, teamId: string, customerId: string) {
  const t = schema.fraudAlerts;
  const rows = await database(ctx.env.DB)
    .select()
    .from(t)
    .where(and(eq(t.teamId, teamId), eq(t.type, "customer_velocity"), eq(t.subject, customerId)))
    .orderBy(asc(t.firstSeen));
  return rows.map(renderAlert);
}

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
