// The event outbox (API.md §9): an event row is written in the same D1 transaction as the change it reports, by
// the service (or queue consumer) that makes the change. So an acknowledged change always has its event, and a
// change that did not happen (a dry run, a refused call, a lost race) never does. Delivery starts right after the
// write (waitUntil) and, should that be lost, from the minute sweep (./webhook-dispatch.ts).
import type { WebhookEvent } from "../domain/webhook-events";
export { type EventGuard, eventStatements } from "../db/webhook-events";
import type { ServiceContext } from "../env";
import { dispatchEvents } from "./webhook-dispatch";

/** Starts delivering the events once the response is sent; the minute sweep catches what this misses. */
export function dispatchAfterResponse(ctx: Pick<ServiceContext, "env" | "waitUntil">, events: readonly WebhookEvent[]): void {
  if (events.length === 0) return;
  ctx.waitUntil(dispatchSafely(ctx.env, events.map((e) => e.id)));
}

/** Dispatches now, never throwing: a failure is logged and left to the sweep. */
export async function dispatchSafely(env: ServiceContext["env"], eventIds?: readonly string[]): Promise<void> {
  try {
    await dispatchEvents(env, eventIds);
  } catch (err) {
    console.error(JSON.stringify({ level: "error", event: "webhook_dispatch_failed", error: err instanceof Error ? err.message : String(err) }));
  }
}
