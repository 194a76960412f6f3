// API.md §7 fraud detectors: thresholds per team, alerts listed by /v1/analytics/fraud, and code_enumeration
// counted in the credential's own object with no extra hop on the checkout path.
import { describe, expect, it } from "vitest";
import { addMember, call, createKey, newTeam } from "../helpers/api";
import { pollUntil } from "../helpers/poll";
import { expectApiError } from "../helpers/security";
import { createVoucher } from "../helpers/vouchers";

const alerts = (token: string, query = "") => call("GET", `/v1/analytics/fraud${query}`, { token });

/** Polls the team's alerts until `done` holds (they are raised after the answer); returns the last list. */
function waitForAlerts(token: string, done: (data: { type: string; subject: string; count: number }[]) => boolean) {
  return pollUntil(async () => {
    const res = await alerts(token);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.data as { type: string; subject: string; count: number; severity: string }[];
  }, done);
}

describe("fraud settings", () => {
  it("defaults are documented values; owners change them; developers and write keys cannot; bad values are 400", async () => {
    const { owner, admin } = await newTeam();
    const got = await call("GET", "/v1/analytics/fraud/settings", { token: admin.key });
    expect(got.body).toEqual({
      object: "fraud_settings",
      customer_velocity: { count: 5, window_seconds: 600 },
      code_enumeration: { count: 20, window_seconds: 60 },
      redemption_failure_burst: { count: 25, window_seconds: 60 },
    });
    const put = await call("PUT", "/v1/analytics/fraud/settings", { token: owner.accessToken, body: { code_enumeration: { count: 3 } } });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body.code_enumeration).toEqual({ count: 3, window_seconds: 60 });
    expect(put.body.customer_velocity).toEqual({ count: 5, window_seconds: 600 });
    const developer = await addMember(owner.accessToken, owner.teamId, "developer");
    expectApiError(await call("PUT", "/v1/analytics/fraud/settings", { token: developer.accessToken, headers: { "X-Team-Id": owner.teamId }, body: {} }), 403, "insufficient_role");
    const writer = await createKey(owner.accessToken, { name: "writer", scopes: ["write"] });
    expectApiError(await call("PUT", "/v1/analytics/fraud/settings", { token: writer.key, body: {} }), 403, "insufficient_scope");
    expectApiError(await call("PUT", "/v1/analytics/fraud/settings", { token: admin.key, body: { code_enumeration: { count: 0 } } }), 400, "invalid_request");
    expectApiError(await call("PUT", "/v1/analytics/fraud/settings", { token: admin.key, body: { card_testing: { count: 3 } } }), 400, "invalid_request");
    // Another team keeps the defaults.
    const other = await newTeam();
    expect((await call("GET", "/v1/analytics/fraud/settings", { token: other.admin.key })).body.code_enumeration.count).toBe(20);
  });
});

describe("code_enumeration", () => {
  it("a key trying many unknown or invalid codes raises one alert naming the key; its count follows", async () => {
    const { owner, admin } = await newTeam();
    await call("PUT", "/v1/analytics/fraud/settings", { token: admin.key, body: { code_enumeration: { count: 5, window_seconds: 3600 } } });
    const pk = await createKey(owner.accessToken, { name: "guesser", scopes: ["validate:vouchers"] });
    const expired = await createVoucher(admin.key, { expires_at: new Date(Date.now() - 3_600_000).toISOString() });
    for (let i = 0; i < 9; i++) {
      const res = await call("POST", `/v1/vouchers/GUESS-${i}-${crypto.randomUUID().slice(0, 6)}/validate`, { token: pk.key, body: { order: { amount: 1000 } } });
      expectApiError(res, 404, "voucher_not_found");
    }
    // An invalid (expired) code counts too.
    const invalid = await call("POST", `/v1/vouchers/${expired.code}/validate`, { token: pk.key, body: { order: { amount: 1000 } } });
    expect(invalid.body.valid).toBe(false);
    const data = await waitForAlerts(admin.key, (d) => d.some((a) => a.type === "code_enumeration" && a.count >= 10));
    const alert = data.find((a) => a.type === "code_enumeration");
    expect(alert).toMatchObject({ type: "code_enumeration", subject: pk.id, count: 10, severity: "medium", window_seconds: 3600 });
    expect(data.filter((a) => a.type === "code_enumeration")).toHaveLength(1);
    // Another team sees none of it.
    const other = await newTeam();
    expect((await alerts(other.admin.key)).body.data).toEqual([]);
  });

  it("valid codes raise nothing; a window filter leaves out what was last seen outside it", async () => {
    const { owner, admin } = await newTeam();
    await call("PUT", "/v1/analytics/fraud/settings", { token: admin.key, body: { code_enumeration: { count: 2, window_seconds: 3600 } } });
    const key = await createKey(owner.accessToken, { name: "honest", scopes: ["validate:vouchers"] });
    const voucher = await createVoucher(admin.key);
    for (let i = 0; i < 5; i++) {
      expect((await call("POST", `/v1/vouchers/${voucher.code}/validate`, { token: key.key, body: { order: { amount: 1000 } } })).body.valid).toBe(true);
    }
    for (let i = 0; i < 3; i++) await call("POST", `/v1/vouchers/NOPE-${i}-${crypto.randomUUID().slice(0, 6)}/validate`, { token: admin.key, body: { order: { amount: 1000 } } });
    const data = await waitForAlerts(admin.key, (d) => d.length > 0);
    expect(data.map((a) => a.subject)).toEqual([admin.id]);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await alerts(admin.key, `?from=${future}`)).body.data).toEqual([]);
    const reader = await createKey(owner.accessToken, { name: "no analytics", scopes: ["read:vouchers"] });
    expectApiError(await alerts(reader.key), 403, "insufficient_scope");
  });
});

describe("redemption_failure_burst", () => {
  it("a key whose redemptions keep being refused raises an alert naming the key", async () => {
    const { owner, admin } = await newTeam();
    await call("PUT", "/v1/analytics/fraud/settings", { token: admin.key, body: { redemption_failure_burst: { count: 4, window_seconds: 3600 } } });
    const checkout = await createKey(owner.accessToken, { name: "checkout", scopes: ["redeem:vouchers"] });
    const voucher = await createVoucher(admin.key, { redemption_limit: 1 });
    const redeem = (n: number) => call("POST", `/v1/vouchers/${voucher.code}/redeem`, { token: checkout.key, body: { order: { id: `o-${n}`, amount: 1000 } } });
    expect((await redeem(0)).status).toBe(201);
    for (let i = 1; i <= 4; i++) expectApiError(await redeem(i), 409, "redemption_limit_reached");
    const data = await waitForAlerts(admin.key, (d) => d.some((a) => a.type === "redemption_failure_burst"));
    expect(data.find((a) => a.type === "redemption_failure_burst")).toMatchObject({ subject: checkout.id, count: 4, window_seconds: 3600 });
  });
});
