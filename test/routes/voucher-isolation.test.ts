// Tenancy on the voucher and customer routes (API.md §2: another team's resources answer 404), and the shared
// security cases (no credential, bad or revoked keys, wrong scope, key types, roles) on each of those routes.
import { describe, expect, it } from "vitest";
import { addMember, call, createAgentKey, createKey, newTeam } from "../helpers/api";
import { uniqueId } from "../helpers/guarantees";
import { ALL_SCOPES, describeSecurity, expectApiError, expectInvalidKey, route, type Team, uniqueOrigin } from "../helpers/security";
import { createVoucher, flushedRead, order, redeem, redeemOk, rollback, uniqueCode, validate } from "../helpers/vouchers";

const getVoucher = (token: string, code: string) => call("GET", `/v1/vouchers/${code}`, { token });
const countOf = async (token: string, code: string) => (await getVoucher(token, code)).body.redemptions_count as number;

/** Team A with a voucher, a customer and a live redemption by that customer, flushed to D1. */
async function teamWithHistory() {
  const a = await newTeam();
  const code = uniqueCode("ISO");
  const customerId = uniqueId();
  const voucher = await createVoucher(a.admin.key, { code, redemption_limit: 5, metadata: { owner: "team A" } });
  expect((await call("POST", "/v1/customers", { token: a.admin.key, body: { id: customerId, metadata: { secret: "a" } } })).status).toBe(201);
  const redemption = await redeemOk(a.admin.key, code, { customer_id: customerId, order: order() });
  await flushedRead(
    [{ teamId: a.owner.teamId, code }],
    () => call("GET", `/v1/customers/${customerId}`, { token: a.admin.key }),
    (res) => res.body?.redemptions_count === 1,
  );
  return { a, code, customerId, voucher, redemption };
}

// The generated security cases of the other voucher and customer routes are in test/routes/security.test.ts.
describe("tenant isolation: team B never reaches team A's vouchers", () => {
  it("GET, PATCH, validate, redeem and rollback of A's code → 404 voucher_not_found for B; A's voucher is untouched", async () => {
    const { a, code, voucher, redemption } = await teamWithHistory();
    const b = await newTeam();
    for (const spelling of [code, code.toLowerCase()]) {
      expectApiError(await getVoucher(b.admin.key, spelling), 404, "voucher_not_found");
      expectApiError(await call("PATCH", `/v1/vouchers/${spelling}`, { token: b.admin.key, body: { active: false, metadata: {} } }), 404, "voucher_not_found");
      expectApiError(await validate(b.admin.key, spelling, { order: { amount: 5000 } }), 404, "voucher_not_found");
      expectApiError(await redeem(b.admin.key, spelling, { order: order() }), 404, "voucher_not_found");
      expectApiError(await rollback(b.admin.key, spelling, { redemption_id: redemption.id }), 404, "voucher_not_found");
    }
    // B's dashboard owner is refused the same way.
    expectApiError(await getVoucher(b.owner.accessToken, code), 404, "voucher_not_found");
    expectApiError(await redeem(b.owner.accessToken, code, { order: order() }), 404, "voucher_not_found");

    const after = await getVoucher(a.admin.key, code);
    expect(after.body).toMatchObject({ id: voucher.id, active: true, metadata: { owner: "team A" }, redemptions_count: 1 });
    // A's redemption is still live: A can roll it back (B did not).
    const undone = await rollback(a.admin.key, code, { redemption_id: redemption.id });
    expect(undone.status).toBe(200);
    expect(undone.body.status).toBe("rolled_back");
  });

  it("B's list and CSV never show A's vouchers, whatever the filter", async () => {
    const { code } = await teamWithHistory();
    const b = await newTeam();
    const own = await createVoucher(b.admin.key, { code: uniqueCode("BOWN") });
    for (const query of ["", "?limit=100", `?code_prefix=${code}`, `?code_prefix=${code.slice(0, 4)}`, "?status=active", "?created_after=2000-01-01T00:00:00Z"]) {
      const res = await call("GET", `/v1/vouchers${query}`, { token: b.admin.key });
      expect(res.status).toBe(200);
      const codes = res.body.data.map((v: { code: string }) => v.code);
      expect(codes, query).not.toContain(code);
      for (const c of codes) expect(c).toBe(own.code);
    }
    for (const query of ["?format=csv", `?format=csv&code_prefix=${code}`]) {
      const csv = await call("GET", `/v1/vouchers${query}`, { token: b.admin.key });
      expect(csv.status).toBe(200);
      expect(csv.headers.get("Content-Type")).toMatch(/^text\/csv/);
      expect(csv.body as string).not.toContain(code);
    }
    const mine = await call("GET", "/v1/vouchers?format=csv", { token: b.admin.key });
    expect((mine.body as string).split(/\r?\n/).filter((l) => l.length > 0)).toHaveLength(2);
    expect(mine.body as string).toContain(own.code);
  });

  it("B cannot see A's customers, their profile or their history; B may register the same id independently", async () => {
    const { a, customerId } = await teamWithHistory();
    const b = await newTeam();
    for (const path of [`/v1/customers/${customerId}`, `/v1/customers/${customerId}/redemptions`]) {
      const res = await call("GET", path, { token: b.admin.key });
      expect(res.status, path).toBe(404);
      expectApiError(res, 404, res.body.error);
      expect(JSON.stringify(res.body)).not.toContain("team A");
    }
    const created = await call("POST", "/v1/customers", { token: b.admin.key, body: { id: customerId } });
    expect(created.status).toBe(201);
    expect(created.body.metadata).toEqual({});
    expect((await call("GET", `/v1/customers/${customerId}`, { token: b.admin.key })).body).toMatchObject({ redemptions_count: 0, metadata: {} });
    expect((await call("GET", `/v1/customers/${customerId}/redemptions`, { token: b.admin.key })).body.data).toEqual([]);
    // A's customer is unchanged.
    expect((await call("GET", `/v1/customers/${customerId}`, { token: a.admin.key })).body).toMatchObject({ metadata: { secret: "a" }, redemptions_count: 1 });
  });

  it("B may create its own voucher with A's code: fully independent", async () => {
    const { a, code, voucher, redemption, customerId } = await teamWithHistory();
    const b = await newTeam();
    const mine = await createVoucher(b.admin.key, { code: code.toLowerCase(), discount: { type: "amount", amount_off: 1234 }, currency: "EUR", redemption_limit: 1 });
    expect(mine.code).toBe(code);
    expect(mine.id).not.toBe(voucher.id);
    expect(mine.redemptions_count).toBe(0);

    // Each team validates against its own definition.
    expect((await validate(b.admin.key, code, { order: { amount: 5000 } })).body).toMatchObject({ valid: true, discount_amount: 1234 });
    expect((await validate(a.admin.key, code, { order: { amount: 5000 } })).body).toMatchObject({ valid: true, discount_amount: 500 });

    // B's limit of 1 is B's own; redeeming B's leaves A's count alone, and A's customer counts are not B's.
    await redeemOk(b.admin.key, code, { customer_id: customerId, order: order() });
    expectApiError(await redeem(b.admin.key, code, { order: order() }), 409, "redemption_limit_reached");
    expect(await countOf(b.admin.key, code)).toBe(1);
    expect(await countOf(a.admin.key, code)).toBe(1);
    await redeemOk(a.admin.key, code, { order: order() });
    expect(await countOf(a.admin.key, code)).toBe(2);
    expect(await countOf(b.admin.key, code)).toBe(1);

    // A's redemption id means nothing on B's voucher of the same code.
    const cross = await rollback(b.admin.key, code, { redemption_id: redemption.id });
    expect(cross.status, JSON.stringify(cross.body)).toBe(404);
    expect(await countOf(a.admin.key, code)).toBe(2);

    // Changing B's voucher does not change A's.
    expect((await call("PATCH", `/v1/vouchers/${code}`, { token: b.admin.key, body: { active: false } })).status).toBe(200);
    expect((await getVoucher(a.admin.key, code)).body.active).toBe(true);
    expect((await validate(a.admin.key, code, { order: { amount: 5000 } })).body.valid).toBe(true);

    // Each list shows only its own.
    const listA = await call("GET", "/v1/vouchers", { token: a.admin.key });
    const listB = await call("GET", "/v1/vouchers", { token: b.admin.key });
    expect(listA.body.data.map((v: { id: string }) => v.id)).toEqual([voucher.id]);
    expect(listB.body.data.map((v: { id: string }) => v.id)).toEqual([mine.id]);
  });
});

describe("security: POST /v1/vouchers/{code}/validate", () => {
  const arrange = async () => {
    const team = await newTeam();
    const v = await createVoucher(team.admin.key);
    return { team, code: v.code as string };
  };
  const body = { order: { amount: 5000 } };

  it("no credential, an unknown key, a revoked key → 401 invalid_api_key", async () => {
    const { team, code } = await arrange();
    expectApiError(await call("POST", `/v1/vouchers/${code}/validate`, { body }), 401, "invalid_api_key");
    expectInvalidKey(await validate("vf_sk_test_notarealkey", code, body));
    const key = await createKey(team.owner.accessToken, { name: "to revoke", scopes: ["validate:vouchers"] });
    expect((await validate(key.key, code, body)).status).toBe(200);
    expect((await call("DELETE", `/v1/api-keys/${key.id}`, { token: team.owner.accessToken })).status).toBe(204);
    expectInvalidKey(await validate(key.key, code, body));
    expectInvalidKey(await call("POST", `/v1/vouchers/${code}/validate`, { body, headers: { "X-API-Key": key.key } }));
  });

  it("a secret or agent key with every scope but validate:vouchers → 403 insufficient_scope", async () => {
    const { team, code } = await arrange();
    const others = ALL_SCOPES.filter((s) => s !== "validate:vouchers");
    const secret = await createKey(team.owner.accessToken, { scopes: others });
    const agent = await createAgentKey(team.owner.accessToken, { scopes: others });
    for (const key of [secret.key, agent.key]) {
      const res = await validate(key, code, body);
      expectApiError(res, 403, "insufficient_scope");
      expect(res.body.message).toContain("validate:vouchers");
    }
  });

  it("secret, agent and publishable keys holding validate:vouchers, and the owner, may validate", async () => {
    const { team, code } = await arrange();
    const origin = uniqueOrigin();
    const secret = await createKey(team.owner.accessToken, { scopes: ["validate:vouchers"] });
    const agent = await createAgentKey(team.owner.accessToken, { scopes: ["validate:vouchers"] });
    const pk = await createKey(team.owner.accessToken, { type: "publishable", allowed_origins: [origin] });
    expect((await validate(secret.key, code, body)).body.valid).toBe(true);
    expect((await validate(agent.key, code, body)).body.valid).toBe(true);
    expect((await validate(pk.key, code, body, { Origin: origin })).body.valid).toBe(true);
    expect((await call("POST", `/v1/vouchers/${code}/validate`, { body, headers: { "X-API-Key": secret.key } })).status).toBe(200);
    expect((await validate(team.owner.accessToken, code, body)).body.valid).toBe(true);
  });

  it("a viewer (GET only) → 403 insufficient_role; a publishable key off its origins → 403 origin_not_allowed", async () => {
    const { team, code } = await arrange();
    const viewer = await addMember(team.owner.accessToken, team.owner.teamId, "viewer");
    const res = await call("POST", `/v1/vouchers/${code}/validate`, { token: viewer.accessToken, headers: { "X-Team-Id": team.owner.teamId }, body });
    expectApiError(res, 403, "insufficient_role");
    const pk = await createKey(team.owner.accessToken, { type: "publishable", allowed_origins: [uniqueOrigin()] });
    expectApiError(await validate(pk.key, code, body, { Origin: uniqueOrigin() }), 403, "origin_not_allowed");
  });

  it("team B's publishable key (allowed on the same origin) cannot validate A's code → 404", async () => {
    const { code } = await arrange();
    const b = await newTeam();
    const origin = uniqueOrigin();
    const pk = await createKey(b.owner.accessToken, { type: "publishable", allowed_origins: [origin] });
    expectApiError(await validate(pk.key, code, body, { Origin: origin }), 404, "voucher_not_found");
  });
});

const withVoucher = async (team: Team) => ({ code: (await createVoucher(team.admin.key)).code as string });
const withRedemption = async (team: Team) => {
  const { code } = await withVoucher(team);
  return { code, redemptionId: (await redeemOk(team.admin.key, code, { order: order() })).id as string };
};
const withCustomer = async (team: Team) => {
  const id = uniqueId();
  expect((await call("POST", "/v1/customers", { token: team.admin.key, body: { id } })).status).toBe(201);
  return { id };
};
