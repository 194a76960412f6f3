// voucher.validated (API.md §9). A validation changes nothing, so there is no change for its event to be written
// with: it is written after the answer (waitUntil), and only for teams with an endpoint that subscribes to it —
// known from a per-isolate answer kept 30 s — so a checkout adds no round trip and an unsubscribed team no row.
// An isolate that dies right after answering can lose that one event; every other event is written with its change.
import { newEvent } from "../domain/webhook-events";
import type { Env, ServiceContext } from "../env";
import { dispatchSafely, eventStatements } from "./webhook-outbox";

const TTL_MS = 30_000;
const subscribed = new Map<string, { yes: boolean; until: number }>();

async function teamSubscribes(env: Env, teamId: string, now: number): Promise<boolean> {
  const held = subscribed.get(teamId);
  if (held && held.until > now) return held.yes;
  const row = await env.DB.prepare(
    `SELECT 1 FROM webhook_endpoints WHERE team_id = ? AND status = 'enabled'
        AND EXISTS (SELECT 1 FROM json_each(events) WHERE value IN ('voucher.validated', '*')) LIMIT 1`,
  )
    .bind(teamId)
    .first();
  subscribed.set(teamId, { yes: row !== null, until: now + TTL_MS });
  return row !== null;
}

export function emitValidated(ctx: ServiceContext, teamId: string, data: Record<string, unknown>): void {
  ctx.waitUntil(
    (async () => {
      const now = Date.now();
      if (!(await teamSubscribes(ctx.env, teamId, now))) return;
      const event = newEvent(teamId, "voucher.validated", data, { now });
      await ctx.env.DB.batch(eventStatements(ctx.env.DB, [event]));
      await dispatchSafely(ctx.env, [event.id]);
    })().catch((err) => console.error(JSON.stringify({ level: "warn", event: "voucher_validated_not_written", error: err instanceof Error ? err.message : String(err) }))),
  );
}
