// Webhook endpoints (API.md §9): create (the secret shown once, stored sealed), list, get, patch, delete, rotate
// the secret, send a test event. Deliveries and their retry are in ./webhook-deliveries.ts.
import { and, desc, eq, lt, sql } from "drizzle-orm";
import type { SQLiteUpdateSetSource } from "drizzle-orm/sqlite-core";
import { database, schema, statementOf } from "../db/client";
import { type EventType, newEvent } from "../domain/webhook-events";
import { checkWebhookUrl } from "../domain/webhook-url";
import type { ServiceContext } from "../env";
import { ApiError } from "../errors";
import { newId } from "../lib/ids";
import { page } from "../lib/pagination";
import { seal, unseal } from "../lib/sealing";
import { liveReplacedSecrets, readReplacedSecrets, sealReplacedSecrets } from "../lib/webhook-secrets";
import { iso } from "../lib/time";
import { newWebhookSecret } from "../lib/webhook-signature";
import { requireOnlyFields, requireScope, requireTeam } from "./access";
import { dispatchAfterResponse, eventStatements } from "./webhook-outbox";

export type EndpointRow = typeof schema.webhookEndpoints.$inferSelect;
export type CreateWebhookInput = { url: string; events: (EventType | "*")[]; description?: string | null };

export const MAX_OLD_SECRET_SECONDS = 86_400;

export function renderEndpoint(row: EndpointRow) {
  return {
    id: row.id,
    object: "webhook_endpoint" as const,
    url: row.url,
    events: row.events,
    description: row.description,
    status: row.status,
    disabled_reason: row.disabledReason,
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
  };
}

/** The URL as it will be called, or 422 with the reason (production: https to a public host only). */
function allowedUrl(ctx: ServiceContext, url: string): string {
  const verdict = checkWebhookUrl(url, ctx.env.ENVIRONMENT);
  if (!verdict.ok) throw new ApiError("webhook_url_not_allowed", `This URL cannot receive webhooks: ${verdict.reason}.`, [{ path: "url", message: verdict.reason }]);
  return verdict.url.href;
}

/** `["*"]` stands alone; otherwise each type once, in the order given. */
const normalizeEvents = (events: readonly string[]) => (events.includes("*") ? ["*"] : [...new Set(events)]);

export async function createWebhook(ctx: ServiceContext, input: CreateWebhookInput) {
  requireScope(ctx.actor, "write:webhooks");
  const teamId = requireTeam(ctx.actor);
  const url = allowedUrl(ctx, input.url);
  await ctx.authorize(teamId, { operation: "create_webhook", input });
  const now = Date.now();
  const row: EndpointRow = {
    id: newId("whk"),
    teamId,
    url,
    events: normalizeEvents(input.events),
    description: input.description ?? null,
    status: "enabled",
    disabledReason: null,
    secret: "",
    previousSecret: null,
    previousSecretExpiresAt: null,
    failingSince: null,
    createdAt: now,
    updatedAt: now,
  };
  // A preview makes no secret: nothing would ever be signed with it.
  if (ctx.dryRun) return { ...renderEndpoint(row), secret: null };
  const secret = newWebhookSecret();
  await database(ctx.env.DB)
    .insert(schema.webhookEndpoints)
    .values({ ...row, secret: await seal(ctx.env.ENCRYPTION_KEY, secret) });
  return { ...renderEndpoint(row), secret };
}

export async function findEndpoint(ctx: ServiceContext, teamId: string, id: string): Promise<EndpointRow> {
  const t = schema.webhookEndpoints;
  const row = await database(ctx.env.DB).select().from(t).where(and(eq(t.id, id), eq(t.teamId, teamId))).get();
  if (!row) throw new ApiError("not_found", "No webhook endpoint with this id.");
  return row;
}

export async function listWebhooks(ctx: ServiceContext, query: { limit: number; cursor?: string }) {
  requireScope(ctx.actor, "read:webhooks");
  const teamId = requireTeam(ctx.actor);
  const t = schema.webhookEndpoints;
  const rows = await database(ctx.env.DB)
    .select()
    .from(t)
    .where(and(eq(t.teamId, teamId), query.cursor ? lt(t.id, query.cursor) : undefined))
    .orderBy(desc(t.id))
    .limit(query.limit + 1);
  return page(rows, query.limit, renderEndpoint);
}

export async function getWebhook(ctx: ServiceContext, id: string) {
  requireScope(ctx.actor, "read:webhooks");
  return renderEndpoint(await findEndpoint(ctx, requireTeam(ctx.actor), id));
}

export async function patchWebhook(ctx: ServiceContext, id: string, input: Record<string, unknown>) {
  requireScope(ctx.actor, "write:webhooks");
  const teamId = requireTeam(ctx.actor);
  requireOnlyFields(input, ["url", "events", "description", "status"]);
  const row = await findEndpoint(ctx, teamId, id);
  const t = schema.webhookEndpoints;
  // Only the fields the request names are written, and a status change is decided against the stored status in
  // the same statement: a concurrent PATCH of another field, or a disable by delivery (gone, failing), is kept.
  const changes: SQLiteUpdateSetSource<typeof t> = { updatedAt: Date.now() };
  if (typeof input.url === "string") changes.url = allowedUrl(ctx, input.url);
  if (Array.isArray(input.events)) changes.events = normalizeEvents(input.events as string[]);
  if ("description" in input) changes.description = (input.description as string | null | undefined) ?? null;
  if (input.status === "enabled") {
    Object.assign(changes, {
      disabledReason: sql`CASE WHEN ${t.status} = 'disabled' THEN NULL ELSE ${t.disabledReason} END`,
      failingSince: sql`CASE WHEN ${t.status} = 'disabled' THEN NULL ELSE ${t.failingSince} END`,
      status: "enabled",
    });
  }
  if (input.status === "disabled") {
    Object.assign(changes, { disabledReason: sql`CASE WHEN ${t.status} = 'enabled' THEN 'manual' ELSE ${t.disabledReason} END`, status: "disabled" });
  }
  await ctx.authorize(teamId, { operation: "update_webhook", params: { id }, input });
  const updated = await database(ctx.env.DB).update(t).set(changes).where(and(eq(t.id, row.id), eq(t.teamId, teamId))).returning().get();
  if (!updated) throw new ApiError("not_found", "No webhook endpoint with this id.");
  return renderEndpoint(updated);
}

/** Deletes the endpoint and its deliveries: nothing more is sent to it (a message already queued finds nothing). */
export async function deleteWebhook(ctx: ServiceContext, id: string): Promise<void> {
  requireScope(ctx.actor, "write:webhooks");
  const teamId = requireTeam(ctx.actor);
  const row = await findEndpoint(ctx, teamId, id);
  await ctx.authorize(teamId, { operation: "delete_webhook", params: { id } });
  const db = database(ctx.env.DB);
  await ctx.env.DB.batch([
    statementOf(ctx.env.DB, db.delete(schema.webhookDeliveries).where(eq(schema.webhookDeliveries.endpointId, row.id))),
    statementOf(ctx.env.DB, db.delete(schema.webhookEndpoints).where(eq(schema.webhookEndpoints.id, row.id))),
  ]);
}

/** A new current secret; the old one stays live (both sign every delivery) for `expire_old_in_seconds`. */
export async function rotateWebhookSecret(ctx: ServiceContext, id: string, input: { expire_old_in_seconds?: number }) {
  requireScope(ctx.actor, "write:webhooks");
  const teamId = requireTeam(ctx.actor);
  const row = await findEndpoint(ctx, teamId, id);
  await ctx.authorize(teamId, { operation: "rotate_webhook_secret", params: { id }, input });
  const grace = input.expire_old_in_seconds ?? MAX_OLD_SECRET_SECONDS;
  const secret = newWebhookSecret();
  const t = schema.webhookEndpoints;
  // The replaced secret joins those replaced before that still sign, each keeping its own expiry: a rotation during
  // a rotation never cuts short a grace already answered. `expire_old_in_seconds: 0` ends them all at once (the
  // way to cut off a leaked secret). Written only over the secret read here (a sealed value
  // is unique), so of two concurrent rotations the second reads again and keeps the first's secret live too.
  for (let tries = 0; tries < 5; tries++) {
    const stored = tries === 0 ? row : await findEndpoint(ctx, teamId, id);
    const now = Date.now();
    const oldExpiresAt = grace > 0 ? Math.floor((now + grace * 1000) / 1000) * 1000 : null;
    const current = await unseal(ctx.env.ENCRYPTION_KEY, stored.secret);
    const replaced = await readReplacedSecrets(ctx.env.ENCRYPTION_KEY, stored.previousSecret, stored.previousSecretExpiresAt);
    if (current === null || replaced === null) throw new Error(`the secret of ${stored.id} cannot be unsealed (ENCRYPTION_KEY changed?)`);
    const kept = oldExpiresAt === null ? [] : [{ secret: current, expires_at: oldExpiresAt }, ...liveReplacedSecrets(replaced, now)];
    const rotated = await database(ctx.env.DB)
      .update(t)
      .set({ secret: await seal(ctx.env.ENCRYPTION_KEY, secret), ...(await sealReplacedSecrets(ctx.env.ENCRYPTION_KEY, kept)), updatedAt: now })
      .where(and(eq(t.id, stored.id), eq(t.teamId, teamId), eq(t.secret, stored.secret)))
      .run();
    if (rotated.meta.changes === 1) return { secret, old_secret_expires_at: iso(oldExpiresAt) };
  }
  // Five rotations raced this one and won: a 5xx, not kept, so the same Idempotency-Key may try again.
  throw new Error(`the secret of ${id} kept changing under its rotation`);
}

/** Sends a webhook.test event to this endpoint alone, through the same outbox and queue as every event. */
export async function sendTestEvent(ctx: ServiceContext, id: string) {
  requireScope(ctx.actor, "write:webhooks");
  const teamId = requireTeam(ctx.actor);
  const row = await findEndpoint(ctx, teamId, id);
  await ctx.authorize(teamId, { operation: "send_webhook_test_event", params: { id } });
  if (row.status !== "enabled") throw new ApiError("webhook_disabled", "This webhook endpoint is disabled: a test event would not be delivered. Enable it first.");
  const event = newEvent(teamId, "webhook.test", { webhook_id: row.id, message: "A test event from Vauchflow." }, { endpointId: row.id });
  await ctx.env.DB.batch(eventStatements(ctx.env.DB, [event]));
  dispatchAfterResponse(ctx, [event]);
  return { id: event.id, object: "event" as const, type: "webhook.test" as const, created_at: iso(event.created_at), data: event.data };
}
