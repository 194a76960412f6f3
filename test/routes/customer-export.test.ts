// GET /v1/customers/{id}/export (API.md §7): everything held about the customer. Besides the profile and the
// redemptions, that is the reservations the vouchers' objects keep and the velocity fraud alerts that name the
// customer; an id never registered that only reserved is held about too, so it can be exported (and erased).
import { env, runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, newTeam } from "../helpers/api";
import { readCsv } from "../helpers/csv";
import { pollUntil } from "../helpers/poll";
import { expectApiError } from "../helpers/security";
import { createVoucher, flushedRead, order, redeemOk, voucherObject } from "../helpers/vouchers";

const exportOf = (token: string, id: string, format = "json") => call("GET", `/v1/customers/${encodeURIComponent(id)}/export?format=${format}`, { token });

async function reserveOk(token: string, code: string, body: Record<string, unknown>) {
  const res = await call("POST", `/v1/vouchers/${code}/reserve`, { token, body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; status: string };
}

/** Until D1 knows every voucher holding the customer's reservations (the objects report them through their outbox). */
const reportedHolders = (teamId: string, id: string, codes: string[]) =>
  pollUntil(
    async () =>
      (await env.DB.prepare("SELECT code FROM customer_reservations WHERE team_id = ? AND customer_id = ?").bind(teamId, id).all<{ code: string }>()).results,
    (rows) => rows.length === codes.length,
    { between: () => Promise.all(codes.map((code) => runDurableObjectAlarm(voucherObject(teamId, code)))) },
  );

describe("GET /v1/customers/{id}/export: what is held besides redemptions", () => {
  it("a registered customer: its reservations (held and released) and its velocity alert, in JSON and CSV; another customer's reservation is not in it", async () => {
    const { owner, admin } = await newTeam();
    const teamId = owner.teamId;
    const id = `cus-held-${crypto.randomUUID().slice(0, 8)}`;
    expect((await call("POST", "/v1/customers", { token: admin.key, body: { id, metadata: { tier: "gold" } } })).status).toBe(201);
    await call("PUT", "/v1/analytics/fraud/settings", { token: admin.key, body: { customer_velocity: { count: 2, window_seconds: 3600 } } });
    const [first, second, redeemed] = [await createVoucher(admin.key), await createVoucher(admin.key), await createVoucher(admin.key)];

    const held = await reserveOk(admin.key, first.code, { customer_id: id, order: order(4000) });
    await reserveOk(admin.key, first.code, { customer_id: `${id}-other`, order: order(1000) });
    const released = await reserveOk(admin.key, second.code, { customer_id: id, order: order(5000) });
    expect((await call("DELETE", `/v1/vouchers/${second.code}/reservations/${released.id}`, { token: admin.key })).status).toBe(204);
    const redemptions = [await redeemOk(admin.key, redeemed.code, { customer_id: id, order: order(1000) }), await redeemOk(admin.key, redeemed.code, { customer_id: id, order: order(2000) })];
    await reportedHolders(teamId, id, [first.code, second.code]);

    const json = await flushedRead(
      [{ teamId, code: redeemed.code }],
      () => exportOf(admin.key, id),
      (r) => r.body?.redemptions?.length === 2 && r.body?.fraud_alerts?.length === 1,
    );
    expect(json.status).toBe(200);
    expect(json.body.customer).toMatchObject({ id, metadata: { tier: "gold" } });
    expect(json.body.reservations).toEqual([
      expect.objectContaining({ id: held.id, object: "reservation", status: "held", code: first.code, customer_id: id, order: expect.objectContaining({ amount: 4000 }) }),
      expect.objectContaining({ id: released.id, status: "released", code: second.code, customer_id: id }),
    ]);
    expect(json.body.fraud_alerts).toEqual([expect.objectContaining({ type: "customer_velocity", subject: id, count: 2 })]);
    // Its fraud.alert event carries the alert as the API shows it, first_seen included.
    const announced = await env.DB.prepare("SELECT data FROM webhook_events WHERE team_id = ? AND type = 'fraud.alert'").bind(teamId).first<{ data: string }>();
    expect(JSON.parse(announced!.data)).toMatchObject({ id: json.body.fraud_alerts[0].id, first_seen: json.body.fraud_alerts[0].first_seen });
    expect(json.body.redemptions.map((r: { id: string }) => r.id)).toEqual(redemptions.map((r) => r.id));
    expect(JSON.stringify(json.body)).not.toContain(`${id}-other`);

    const csv = await exportOf(admin.key, id, "csv");
    expect(csv.status).toBe(200);
    const [header, ...rows] = readCsv(String(csv.body));
    const column = (name: string) => header!.indexOf(name);
    expect(rows.map((r) => [r[0], r[1]])).toEqual([
      ["customer", id],
      ["reservation", held.id],
      ["reservation", released.id],
      ["fraud_alert", json.body.fraud_alerts[0].id],
      ["redemption", redemptions[0]!.id],
      ["redemption", redemptions[1]!.id],
    ]);
    expect(rows[1]![column("status")]).toBe("held");
    expect(rows[1]![column("expires_at")]).toBe(json.body.reservations[0].expires_at);
    expect(rows[2]![column("status")]).toBe("released");
    expect(JSON.parse(rows[3]![column("detail")]!)).toMatchObject({ type: "customer_velocity", subject: id, count: 2 });
  });

  it("an id never registered that only reserved: exported with no profile, in JSON and CSV; an unknown id and another team stay 404", async () => {
    const { owner, admin } = await newTeam();
    const id = `walk-in-${crypto.randomUUID().slice(0, 8)}`;
    const voucher = await createVoucher(admin.key);
    const reservation = await reserveOk(admin.key, voucher.code, { customer_id: id, order: order(3000) });
    expectApiError(await call("GET", `/v1/customers/${id}`, { token: admin.key }), 404, "not_found");
    await reportedHolders(owner.teamId, id, [voucher.code]);

    const json = await exportOf(admin.key, id);
    expect(json.status, JSON.stringify(json.body)).toBe(200);
    expect(json.body).toMatchObject({ object: "customer_export", customer: null, fraud_alerts: [], redemptions: [] });
    expect(json.body.reservations).toEqual([expect.objectContaining({ id: reservation.id, status: "held", customer_id: id })]);
    const rows = readCsv(String((await exportOf(admin.key, id, "csv")).body));
    expect(rows.slice(1).map((r) => [r[0], r[1]])).toEqual([["reservation", reservation.id]]);

    expectApiError(await exportOf(admin.key, `never-${id}`), 404, "not_found");
    expectApiError(await exportOf((await newTeam()).admin.key, id), 404, "not_found");
  });
});
