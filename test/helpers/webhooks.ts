// Webhook test helpers (workerd side): the real receiver started by ./webhook-receiver.ts (reached over HTTP,
// its address injected), endpoints made through the API, the documented signature recipe, and the schedule's
// clock, advanced by moving a delivery's stored times back rather than by waiting.
import { env } from "cloudflare:test";
import { expect, inject } from "vitest";
import type { Env } from "../../src/env";
import { call } from "./api";
import { pollUntil } from "./poll";
import { deliverBatch } from "./queues";
import type { PlannedAnswer, ReceivedRequest } from "./webhook-receiver";

export const receiverBase = () => inject("webhookReceiver");

/** A fresh path on the receiver, so tests (and files running side by side) never see each other's requests. */
export const hookPath = () => `/hooks/${crypto.randomUUID()}`;
export const hookUrl = (path: string) => `${receiverBase()}${path}`;

/** Tells the receiver how to answer the next requests to `path`, in order; after them it answers 200. */
export async function plan(path: string, answers: PlannedAnswer[]) {
  const res = await fetch(`${receiverBase()}/_control/plan`, { method: "POST", body: JSON.stringify({ path, answers }) });
  expect(res.status).toBe(200);
}

export async function received(path: string): Promise<ReceivedRequest[]> {
  const res = await fetch(`${receiverBase()}/_control/requests?path=${encodeURIComponent(path)}`);
  return (await res.json()) as ReceivedRequest[];
}

/** Waits (up to poll.ts's PATIENCE_MS) until the receiver got at least `count` requests on `path`. */
export async function waitForRequests(path: string, count = 1): Promise<ReceivedRequest[]> {
  const got = await pollUntil(() => received(path), (list) => list.length >= count, { intervalMs: 100 });
  if (got.length < count) throw new Error(`the receiver got ${got.length} of ${count} requests on ${path}`);
  return got;
}

export type Endpoint = { id: string; secret: string; url: string; path: string; body: any };

/** Creates an endpoint on a fresh receiver path; fails the test unless it answers 201. */
export async function createEndpoint(token: string, body: Record<string, unknown> = {}): Promise<Endpoint> {
  const path = hookPath();
  const res = await call("POST", "/v1/webhooks", { token, body: { url: hookUrl(path), events: ["*"], ...body } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { id: res.body.id, secret: res.body.secret, url: res.body.url, path, body: res.body };
}

export type DeliveryView = {
  id: string;
  event_id: string;
  event_type: string;
  attempt: number;
  status: "pending" | "succeeded" | "failed" | "dead";
  response_status: number | null;
  duration_ms: number | null;
  error: string | null;
  next_attempt_at: string | null;
};

export async function deliveries(token: string, webhookId: string, query = ""): Promise<DeliveryView[]> {
  const res = await call("GET", `/v1/webhooks/${webhookId}/deliveries${query}`, { token });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.data;
}

/** Polls the endpoint's deliveries until `done` holds (up to poll.ts's PATIENCE_MS); returns the last list. */
export function waitForDeliveries(token: string, webhookId: string, done: (list: DeliveryView[]) => boolean) {
  return pollUntil(() => deliveries(token, webhookId), done, { intervalMs: 100 });
}

const hex = (bytes: ArrayBuffer) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");

/**
 * The README's recipe for Vauchflow-Signature, done independently of src/: HMAC-SHA256 with the whole secret
 * string as key over "<t>.<raw body>", hex, compared with each v1; the timestamp no older than 300 s.
 */
export async function verifyVauchflowSignature(header: string, body: string, secret: string, now = Date.now()): Promise<boolean> {
  const parts = header.split(",").map((p) => p.split("=", 2) as [string, string]);
  const t = parts.find(([k]) => k === "t")?.[1];
  if (!t || Math.abs(now / 1000 - Number(t)) > 300) return false;
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const expected = hex(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${t}.${body}`)));
  return parts.some(([k, v]) => k === "v1" && v === expected);
}

/** The delivery's row in D1 (the API shows it too; tests read times to the millisecond). */
export const deliveryRow = (id: string) =>
  env.DB.prepare("SELECT * FROM webhook_deliveries WHERE id = ?").bind(id).first<{
    id: string;
    status: string;
    attempt: number;
    next_attempt_at: number | null;
    claimed_until: number | null;
    created_at: number;
    endpoint_id: string;
  }>();

/** Moves the schedule's clock forward by `ms` for one delivery and its endpoint: their stored times move back. */
export async function advanceClock(deliveryId: string, ms: number) {
  await env.DB.batch([
    env.DB.prepare("UPDATE webhook_deliveries SET created_at = created_at - ?1, next_attempt_at = next_attempt_at - ?1 WHERE id = ?2").bind(ms, deliveryId),
    env.DB.prepare(
      "UPDATE webhook_endpoints SET failing_since = failing_since - ?1 WHERE id = (SELECT endpoint_id FROM webhook_deliveries WHERE id = ?2)",
    ).bind(ms, deliveryId),
  ]);
}

/** Hands the worker's queue handler one webhook message, as the queue would, and returns its ack/retry state. */
export async function deliverMessage(body: unknown, options: { queue?: string; attempts?: number; env?: Env } = {}) {
  return (await deliverBatch(options.queue ?? "vauchflow-webhooks-local", [body], options)).result;
}

/** Makes the delivery's next attempt now: the clock moved to when it is due, and its message delivered. */
export async function attemptNow(deliveryId: string) {
  const row = await deliveryRow(deliveryId);
  if (!row) throw new Error(`no delivery ${deliveryId}`);
  const wait = (row.next_attempt_at ?? Date.now()) - Date.now();
  if (wait > 0) await advanceClock(deliveryId, wait);
  return deliverMessage({ kind: "webhook_delivery", delivery_id: deliveryId, attempt: row.attempt + 1 });
}

/** Every event row of a team, oldest first. */
export async function teamEvents(teamId: string) {
  const { results } = await env.DB.prepare("SELECT id, type, data, endpoint_id, created_at, dispatched_at FROM webhook_events WHERE team_id = ? ORDER BY id")
    .bind(teamId)
    .all<{ id: string; type: string; data: string; endpoint_id: string | null; created_at: number; dispatched_at: number | null }>();
  return results;
}
