// Webhook history is kept 30 days: ended deliveries (succeeded, dead) and events with no delivery left are deleted
// by the minute sweep once older, while anything still in flight, or not yet dispatched, stays.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { idAt } from "../../src/lib/ids";
import { pruneWebhookHistory, RETAIN_DAYS } from "../../src/queues/webhook-retention";

const DAY = 24 * 60 * 60 * 1000;
const idOf = (prefix: "evt" | "dlv", at: number) => idAt(prefix, at).slice(0, -16) + crypto.randomUUID().replace(/[^0-9]/g, "").padEnd(16, "7").slice(0, 16);

async function event(teamId: string, at: number, dispatched: boolean) {
  const id = idOf("evt", at);
  await env.DB.prepare("INSERT INTO webhook_events (id, team_id, type, data, created_at, dispatched_at) VALUES (?, ?, 'webhook.test', '{}', ?, ?)")
    .bind(id, teamId, at, dispatched ? at : null)
    .run();
  return id;
}

async function delivery(teamId: string, eventId: string, at: number, status: string, endpointId = "whk_a") {
  const id = idOf("dlv", at);
  await env.DB.prepare(
    "INSERT INTO webhook_deliveries (id, team_id, endpoint_id, event_id, event_type, status, attempt, created_at, updated_at) VALUES (?, ?, ?, ?, 'webhook.test', ?, 1, ?, ?)",
  )
    .bind(id, teamId, endpointId, eventId, status, at, at)
    .run();
  return id;
}

const exists = async (table: string, id: string) => (await env.DB.prepare(`SELECT 1 FROM ${table} WHERE id = ?`).bind(id).first()) !== null;

describe("webhook history retention", () => {
  it(`deletes ended deliveries and their events after ${RETAIN_DAYS} days, keeps the rest`, async () => {
    const teamId = `team_retention_${crypto.randomUUID()}`;
    const now = Date.now() + 400 * DAY; // the clock, advanced: nothing else the suite wrote is that old
    const old = now - (RETAIN_DAYS + 1) * DAY;
    const recent = now - (RETAIN_DAYS - 1) * DAY;

    const doneEvent = await event(teamId, old, true);
    const succeeded = await delivery(teamId, doneEvent, old, "succeeded");
    const dead = await delivery(teamId, doneEvent, old, "dead", "whk_b");
    const busyEvent = await event(teamId, old, true);
    const stillFailing = await delivery(teamId, busyEvent, old, "failed");
    const undispatched = await event(teamId, old, false);
    const recentEvent = await event(teamId, recent, true);
    const recentDelivery = await delivery(teamId, recentEvent, recent, "succeeded");

    await pruneWebhookHistory(env, now);
    expect(await exists("webhook_deliveries", succeeded)).toBe(false);
    expect(await exists("webhook_deliveries", dead)).toBe(false);
    expect(await exists("webhook_events", doneEvent)).toBe(false);
    expect(await exists("webhook_deliveries", stillFailing)).toBe(true);
    expect(await exists("webhook_events", busyEvent)).toBe(true);
    expect(await exists("webhook_events", undispatched)).toBe(true);
    expect(await exists("webhook_events", recentEvent)).toBe(true);
    expect(await exists("webhook_deliveries", recentDelivery)).toBe(true);
  });
});
