// The §9 retry schedule against a real receiver, its clock advanced by moving the delivery's stored times back:
// failures retried after 5 min, 30 min, 2 h, 5 h, 10 h, then every 12 h up to 72 h, then dead and listed;
// Retry-After honoured; 410 disables at once; five days of failures disable; the 15 s timeout; manual retry;
// one attempt per message however often it comes; poison messages go to the dead-letter queue alone.
import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ATTEMPT_TIMEOUT_MS, DISABLE_AFTER_FAILING_MS } from "../../src/domain/webhook-schedule";
import type { Env } from "../../src/env";
import { attemptDelivery } from "../../src/queues/webhooks";
import { call, newTeam } from "../helpers/api";
import { createVoucher } from "../helpers/vouchers";
import {
  advanceClock,
  attemptNow,
  createEndpoint,
  deliverMessage,
  deliveries,
  deliveryRow,
  plan,
  received,
  waitForDeliveries,
  waitForRequests,
} from "../helpers/webhooks";

const MIN = 60_000;
const HOUR = 60 * MIN;

afterEach(() => vi.restoreAllMocks());

/**
 * An endpoint whose receiver answers `answers` first, and a test event whose first attempt has been made;
 * `sentAt`: the clock just before the event was sent, so no later than that attempt.
 */
async function failingDelivery(answers: Parameters<typeof plan>[1]) {
  const team = await newTeam();
  const endpoint = await createEndpoint(team.admin.key);
  await plan(endpoint.path, answers);
  const sentAt = Date.now();
  await call("POST", `/v1/webhooks/${endpoint.id}/test`, { token: team.admin.key });
  const [delivery] = await waitForDeliveries(team.admin.key, endpoint.id, (list) => list[0] !== undefined && list[0].status !== "pending");
  return { team, endpoint, delivery: delivery!, sentAt };
}

const endpointOf = async (token: string, id: string) => (await call("GET", `/v1/webhooks/${id}`, { token })).body;

describe("the retry schedule", () => {
  it("retries along the schedule, then the delivery is dead, listed, and can be retried by hand", async () => {
    const { team, endpoint, delivery, sentAt } = await failingDelivery(Array.from({ length: 10 }, () => ({ status: 500 })));
    const waits = [5 * MIN, 30 * MIN, 2 * HOUR, 5 * HOUR, 10 * HOUR, 12 * HOUR, 12 * HOUR, 12 * HOUR, 12 * HOUR];
    // When the attempt that set the schedule began, at the latest.
    let attemptStarted = sentAt;
    for (const [i, wait] of waits.entries()) {
      const row = (await deliveryRow(delivery.id))!;
      expect({ attempt: row.attempt, status: row.status }).toEqual({ attempt: i + 1, status: "failed" });
      // The wait counts from the attempt, which happened between attemptStarted and now.
      const attemptedAt = row.next_attempt_at! - wait;
      expect(attemptedAt).toBeGreaterThanOrEqual(attemptStarted);
      expect(attemptedAt).toBeLessThanOrEqual(Date.now());
      const listed = (await deliveries(team.admin.key, endpoint.id))[0]!;
      expect(listed).toMatchObject({ status: "failed", attempt: i + 1, response_status: 500, error: "answered 500" });
      expect(Date.parse(listed.next_attempt_at!)).toBe(Math.floor(row.next_attempt_at! / 1000) * 1000);
      attemptStarted = Date.now();
      await attemptNow(delivery.id);
    }
    // The tenth attempt, 65 h 35 min after the first: the next would fall after 72 h.
    expect(await received(endpoint.path)).toHaveLength(10);
    const dead = await deliveries(team.admin.key, endpoint.id, "?status=dead");
    expect(dead).toEqual([expect.objectContaining({ id: delivery.id, status: "dead", attempt: 10, next_attempt_at: null, response_status: 500 })]);
    expect(await deliveries(team.admin.key, endpoint.id, "?status=failed")).toEqual([]);
    expect((await endpointOf(team.admin.key, endpoint.id)).status).toBe("enabled");

    const retry = await call("POST", `/v1/webhooks/${endpoint.id}/deliveries/${delivery.id}/retry`, { token: team.admin.key });
    expect(retry.status, JSON.stringify(retry.body)).toBe(202);
    expect(retry.body).toMatchObject({ id: delivery.id, status: "pending", attempt: 10 });
    const requests = await waitForRequests(endpoint.path, 11);
    expect(requests[10]!.headers["webhook-id"]).toBe(requests[0]!.headers["webhook-id"]);
    const [done] = await waitForDeliveries(team.admin.key, endpoint.id, (list) => list[0]?.status === "succeeded");
    expect(done).toMatchObject({ status: "succeeded", attempt: 11, response_status: 200 });
    const again = await call("POST", `/v1/webhooks/${endpoint.id}/deliveries/${delivery.id}/retry`, { token: team.admin.key });
    expect(again).toMatchObject({ status: 409, body: { error: "delivery_not_dead" } });
  });

  it("a manual retry that fails again leaves the delivery dead, with no new schedule", async () => {
    const { team, endpoint, delivery } = await failingDelivery([{ status: 500 }, { status: 502 }, { status: 500 }]);
    await advanceClock(delivery.id, 73 * HOUR);
    await attemptNow(delivery.id);
    expect((await deliveryRow(delivery.id))!.status).toBe("dead");
    expect((await call("POST", `/v1/webhooks/${endpoint.id}/deliveries/${delivery.id}/retry`, { token: team.admin.key })).status).toBe(202);
    await waitForRequests(endpoint.path, 3);
    const [after] = await waitForDeliveries(team.admin.key, endpoint.id, (list) => list[0]?.status === "dead");
    expect(after).toMatchObject({ status: "dead", attempt: 3, next_attempt_at: null });
  });

  it("Retry-After is honoured: the next attempt waits as long as the receiver asks, at most 12 h", async () => {
    // Each next attempt is set to the failed attempt's time (between the two clock readings around it) plus the wait.
    const { delivery, sentAt } = await failingDelivery([{ status: 503, retry_after: "3600" }, { status: 429, retry_after: "999999" }]);
    const first = (await deliveryRow(delivery.id))!;
    expect(first.next_attempt_at!).toBeGreaterThanOrEqual(sentAt + HOUR);
    expect(first.next_attempt_at!).toBeLessThanOrEqual(Date.now() + HOUR);
    const before = Date.now();
    await attemptNow(delivery.id);
    const second = (await deliveryRow(delivery.id))!;
    expect(second.attempt).toBe(2);
    expect(second.next_attempt_at!).toBeGreaterThanOrEqual(before + 12 * HOUR);
    expect(second.next_attempt_at!).toBeLessThanOrEqual(Date.now() + 12 * HOUR);
  });

  it("a redirect is not followed: it counts as a failure", async () => {
    const { delivery } = await failingDelivery([{ status: 302 }]);
    expect(await deliveryRow(delivery.id)).toMatchObject({ status: "failed", attempt: 1 });
    expect(delivery).toMatchObject({ response_status: 302, error: "redirects are not followed" });
  });
});

describe("disabling", () => {
  it("410 Gone disables the endpoint at once; its waiting deliveries are dead and new events are not delivered", async () => {
    const team = await newTeam();
    const endpoint = await createEndpoint(team.admin.key);
    await plan(endpoint.path, [{ status: 500 }, { status: 410 }]);
    await createVoucher(team.admin.key);
    const [waiting] = await waitForDeliveries(team.admin.key, endpoint.id, (list) => list[0]?.status === "failed");
    await call("POST", `/v1/webhooks/${endpoint.id}/test`, { token: team.admin.key });
    await waitForDeliveries(team.admin.key, endpoint.id, (list) => list.length === 2 && list.every((d) => d.status === "dead"));
    expect(await endpointOf(team.admin.key, endpoint.id)).toMatchObject({ status: "disabled", disabled_reason: "gone" });
    const all = await deliveries(team.admin.key, endpoint.id);
    expect(all.find((d) => d.id === waiting!.id)).toMatchObject({ status: "dead", attempt: 1 });
    expect(all.find((d) => d.id !== waiting!.id)).toMatchObject({ status: "dead", response_status: 410 });

    await createVoucher(team.admin.key);
    await deliverMessage({ kind: "webhook_delivery", delivery_id: waiting!.id, attempt: 2 });
    expect(await received(endpoint.path)).toHaveLength(2);
    expect(await deliveries(team.admin.key, endpoint.id)).toHaveLength(2);
    expect((await call("POST", `/v1/webhooks/${endpoint.id}/deliveries/${waiting!.id}/retry`, { token: team.admin.key })).body.error).toBe("webhook_disabled");
  });

  it("an endpoint whose every attempt has failed for 5 days is disabled (failing); any success resets the count", async () => {
    const { team, endpoint, delivery, sentAt } = await failingDelivery([{ status: 500 }, { status: 200 }, ...Array.from({ length: 3 }, () => ({ status: 500 }))]);
    const failingSince = async () => (await env.DB.prepare("SELECT failing_since FROM webhook_endpoints WHERE id = ?").bind(endpoint.id).first<{ failing_since: number | null }>())!.failing_since;
    const olderFailures = (ms: number) => env.DB.prepare("UPDATE webhook_endpoints SET failing_since = failing_since - ? WHERE id = ?").bind(ms, endpoint.id).run();
    const failOnce = async (count: number) => {
      await call("POST", `/v1/webhooks/${endpoint.id}/test`, { token: team.admin.key });
      return waitForDeliveries(team.admin.key, endpoint.id, (list) => list.length === count && list[0]!.status !== "pending");
    };
    // Four days of failures, then a success: the count starts again.
    // Failing since the first attempt.
    expect(await failingSince()).toBeGreaterThanOrEqual(sentAt);
    expect(await failingSince()).toBeLessThanOrEqual(Date.now());
    await advanceClock(delivery.id, 4 * 24 * HOUR);
    await attemptNow(delivery.id);
    expect(await failingSince()).toBeNull();

    // Failures for five days less an hour (deliveries come and go meanwhile): still enabled.
    await failOnce(2);
    await olderFailures(DISABLE_AFTER_FAILING_MS - HOUR);
    await failOnce(3);
    expect((await endpointOf(team.admin.key, endpoint.id)).status).toBe("enabled");
    // An hour more: the next failure disables it, and every delivery still waiting is dead.
    await olderFailures(2 * HOUR);
    const list = await failOnce(4);
    expect(await endpointOf(team.admin.key, endpoint.id)).toMatchObject({ status: "disabled", disabled_reason: "failing" });
    expect(list.map((d) => d.status)).toEqual(["dead", "dead", "dead", "succeeded"]);

    // Re-enabling clears the record.
    const on = await call("PATCH", `/v1/webhooks/${endpoint.id}`, { token: team.admin.key, body: { status: "enabled" } });
    expect(on.body).toMatchObject({ status: "enabled", disabled_reason: null });
    expect(await failingSince()).toBeNull();
  });

  it("a delivery to a URL the environment no longer allows is dead without a request, and the endpoint disabled", async () => {
    const team = await newTeam();
    const endpoint = await createEndpoint(team.admin.key);
    await plan(endpoint.path, [{ status: 500 }]);
    await call("POST", `/v1/webhooks/${endpoint.id}/test`, { token: team.admin.key });
    const [failed] = await waitForDeliveries(team.admin.key, endpoint.id, (list) => list[0]?.status === "failed");
    await advanceClock(failed!.id, 5 * MIN);
    // The receiver is on http://127.0.0.1: production refuses it at send time too.
    await deliverMessage({ kind: "webhook_delivery", delivery_id: failed!.id, attempt: 2 }, { env: { ...env, ENVIRONMENT: "production" } });
    expect(await received(endpoint.path)).toHaveLength(1);
    expect(await deliveryRow(failed!.id)).toMatchObject({ status: "dead", attempt: 1 });
    expect(await endpointOf(team.admin.key, endpoint.id)).toMatchObject({ status: "disabled", disabled_reason: "url_not_allowed" });
  });
});

describe("one attempt per message", () => {
  it("an attempt fails after the timeout (15 s in production) with no status", async () => {
    expect(ATTEMPT_TIMEOUT_MS).toBe(15_000);
    // The receiver answers long after the attempt's 0.3 s, however late a loaded machine fires that timeout.
    const { team, endpoint, delivery } = await failingDelivery([{ status: 500 }, { status: 200, delay_ms: 5000 }]);
    await advanceClock(delivery.id, 5 * MIN);
    expect(await attemptDelivery(env, { kind: "webhook_delivery", delivery_id: delivery.id, attempt: 2 }, 300)).toBe("failed");
    const [timedOut] = await deliveries(team.admin.key, endpoint.id);
    expect(timedOut).toMatchObject({ status: "failed", attempt: 2, response_status: null, error: "no answer within 0.3 s" });
  });

  it("the same message delivered twice at once, late, or out of turn makes one request", async () => {
    const { endpoint, delivery } = await failingDelivery([{ status: 500 }, { status: 200, delay_ms: 300 }]);
    await advanceClock(delivery.id, 5 * MIN);
    const message = { kind: "webhook_delivery", delivery_id: delivery.id, attempt: 2 };
    const results = await Promise.all([deliverMessage(message), deliverMessage(message), deliverMessage(message)]);
    for (const r of results) expect(r.explicitAcks).toHaveLength(1);
    await deliverMessage(message);
    await deliverMessage({ ...message, attempt: 1 });
    await deliverMessage({ ...message, attempt: 5 });
    expect(await received(endpoint.path)).toHaveLength(2);
    expect(await deliveryRow(delivery.id)).toMatchObject({ status: "succeeded", attempt: 2 });
  });

  it("a message that comes before its delivery is due is queued again for the rest of the wait, without a request", async () => {
    const { endpoint, delivery } = await failingDelivery([{ status: 500 }]);
    const sent: unknown[] = [];
    const queue: Env["WEBHOOK_QUEUE"] = {
      metrics: () => env.WEBHOOK_QUEUE.metrics(),
      send: () => Promise.reject(new Error("not expected")),
      sendBatch: async (messages) => {
        sent.push(...messages);
        return { metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } };
      },
    };
    const due = (await deliveryRow(delivery.id))!.next_attempt_at!;
    const before = Date.now();
    await deliverMessage({ kind: "webhook_delivery", delivery_id: delivery.id, attempt: 2 }, { env: { ...env, WEBHOOK_QUEUE: queue } });
    const after = Date.now();
    expect(await received(endpoint.path)).toHaveLength(1);
    expect(sent).toEqual([{ body: { kind: "webhook_delivery", delivery_id: delivery.id, attempt: 2 }, delaySeconds: expect.any(Number) }]);
    // The rest of the 5-minute wait, counted from when the message came (between before and after), in whole seconds.
    const delaySeconds = (sent[0] as { delaySeconds: number }).delaySeconds;
    expect(delaySeconds).toBeGreaterThanOrEqual(Math.ceil((due - after) / 1000));
    expect(delaySeconds).toBeLessThanOrEqual(Math.ceil((due - before) / 1000));
    expect(delaySeconds).toBeGreaterThan(0);
  });

  it("a deleted endpoint gets nothing more: its queued message finds no delivery", async () => {
    const { team, endpoint, delivery } = await failingDelivery([{ status: 500 }]);
    expect((await call("DELETE", `/v1/webhooks/${endpoint.id}`, { token: team.admin.key })).status).toBe(204);
    await advanceClock(delivery.id, 5 * MIN);
    const result = await deliverMessage({ kind: "webhook_delivery", delivery_id: delivery.id, attempt: 2 });
    expect(result.explicitAcks).toHaveLength(1);
    expect(await received(endpoint.path)).toHaveLength(1);
  });
});

describe("poison messages", () => {
  it("a message that cannot be handled is retried alone, the others of its batch go on; from the dead-letter queue its delivery is marked dead", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const { team, endpoint, delivery } = await failingDelivery([{ status: 500 }]);
    await advanceClock(delivery.id, 5 * MIN);
    // A secret sealed under another key cannot be opened: no attempt can ever be signed.
    const broken = { ...env, ENCRYPTION_KEY: "another-encryption-key-0123456789abcdef0123456789" };
    const failed = await deliverMessage({ kind: "webhook_delivery", delivery_id: delivery.id, attempt: 2 }, { env: broken, attempts: 3 });
    expect(failed.retryMessages).toHaveLength(1);
    expect(failed.explicitAcks).toEqual([]);
    const malformed = await deliverMessage({ kind: "something else" });
    expect(malformed.explicitAcks).toHaveLength(1);

    const drained = await deliverMessage({ kind: "webhook_delivery", delivery_id: delivery.id, attempt: 2 }, { queue: "vauchflow-webhooks-dlq-local" });
    expect(drained.ackAll).toBe(true);
    const [dead] = await deliveries(team.admin.key, endpoint.id, "?status=dead");
    expect(dead).toMatchObject({ id: delivery.id, status: "dead", attempt: 1 });
    expect(dead!.error).toMatch(/could not be made/);
  });
});
