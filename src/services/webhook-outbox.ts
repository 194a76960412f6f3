// The event outbox (API.md §9): an event row is written in the same D1 transaction as the change it reports, by
// the service (or queue consumer) that makes the change. So an acknowledged change always has its event, and a
// change that did not happen (a dry run, a refused call, a lost race) never does. Delivery starts right after the
// write (waitUntil) and, should that be lost, from the minute sweep (src/queues/webhook-dispatch.ts).
import type { WebhookEvent } from "../domain/webhook-events";
export { type EventGuard, eventStatements } from "../db/webhook-events";
import type { ServiceContext } from "../env";
import { dispatchSafely } from "../queues/webhook-dispatch";

export { dispatchSafely };

/** Starts delivering the events once the response is sent; the minute sweep catches what this misses. */
export function dispatchAfterResponse(ctx: Pick<ServiceContext, "env" | "waitUntil">, events: readonly WebhookEvent[]): void {
  if (events.length === 0) return;
  ctx.waitUntil(dispatchSafely(ctx.env, events.map((e) => e.id)));
}
