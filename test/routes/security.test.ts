// The shared security cases, applied to every authenticated route that exists.
import { expect } from "vitest";
import { addMember, call, createKey, signUp } from "../helpers/api";
import { createCampaign, waitForJob } from "../helpers/campaigns";
import { uniqueId } from "../helpers/guarantees";
import { describeSecurity, route, type Team } from "../helpers/security";
import { createVoucher, order, redeemOk } from "../helpers/vouchers";

const keyInTeamA = (team: { owner: { accessToken: string } }) =>
  createKey(team.owner.accessToken, { name: "target", scopes: ["read:vouchers"] }).then((k) => ({ keyId: k.id }));

const campaignInTeamA = async (team: Team) => ({ campaignId: (await createCampaign(team.admin.key)).id as string });
const voucherInTeamA = async (team: Team) => ({ code: (await createVoucher(team.admin.key)).code as string });
/** A voucher and the order that will redeem it: a second redemption of that order would answer 409. */
const orderForVoucher = async (team: Team) => ({ ...(await voucherInTeamA(team)), order: order() });
const redemptionInTeamA = async (team: Team) => {
  const { code } = await voucherInTeamA(team);
  return { code, redemptionId: (await redeemOk(team.admin.key, code, { order: order() })).id as string };
};
const customerInTeamA = async (team: Team) => {
  const id = uniqueId();
  const res = await call("POST", "/v1/customers", { token: team.admin.key, body: { id } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { customerId: id };
};
/** A bulk job of a few codes in one of team A's campaigns; `finished` waits until it completed. */
const bulkJobInTeamA = (finished: boolean) => async (team: Team) => {
  const { campaignId } = await campaignInTeamA(team);
  const res = await call("POST", "/v1/vouchers/bulk", { token: team.admin.key, body: { campaign_id: campaignId, count: 3 } });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  if (finished) expect((await waitForJob(team.admin.key, res.body.id)).status).toBe("completed");
  return { jobId: res.body.id as string };
};

describeSecurity([
  route({ method: "GET", path: "/v1/auth/me", url: () => "/v1/auth/me", ok: 200, user: {} }),
  route({
    method: "POST",
    path: "/v1/auth/logout",
    url: () => "/v1/auth/logout",
    body: (_r, team) => ({ refresh_token: team.owner.refreshToken }),
    ok: 204,
    user: {},
  }),
  route({ method: "POST", path: "/v1/teams", url: () => "/v1/teams", body: () => ({ name: "Another team" }), ok: 201, user: {} }),
  route({
    method: "GET",
    path: "/v1/teams/{id}/members",
    url: (_r, team) => `/v1/teams/${team.owner.teamId}/members`,
    ok: 200,
    user: {},
    targetsResource: true,
  }),
  route({
    method: "POST",
    path: "/v1/teams/{id}/members",
    setup: async () => ({ email: (await signUp("Newcomer's team")).email }),
    url: (_r, team) => `/v1/teams/${team.owner.teamId}/members`,
    body: (r) => ({ email: r.email, role: "developer" }),
    ok: 201,
    user: { deniedRoles: ["developer", "viewer"] },
    targetsResource: true,
  }),
  route({
    method: "DELETE",
    path: "/v1/teams/{id}/members/{user_id}",
    setup: async (team) => ({ userId: (await addMember(team.owner.accessToken, team.owner.teamId, "developer")).userId }),
    url: (r, team) => `/v1/teams/${team.owner.teamId}/members/${r.userId}`,
    ok: 204,
    user: { deniedRoles: ["developer", "viewer"] },
    targetsResource: true,
  }),
  route({ method: "GET", path: "/v1/api-keys", url: () => "/v1/api-keys", ok: 200, secret: { scope: "read:api_keys" }, user: {} }),
  route({
    method: "POST",
    path: "/v1/api-keys",
    url: () => "/v1/api-keys",
    body: () => ({ name: "made in a test", type: "secret", scopes: ["read:vouchers"] }),
    ok: 201,
    secret: { scope: "write:api_keys", alsoHolds: ["read:vouchers"] },
    user: { deniedRoles: ["viewer"] },
  }),
  route({
    method: "POST",
    path: "/v1/api-keys/agent",
    url: () => "/v1/api-keys/agent",
    body: () => ({ name: "agent made in a test", scopes: ["read:vouchers"] }),
    ok: 201,
    secret: { scope: "write:api_keys", alsoHolds: ["read:vouchers"] },
    user: { deniedRoles: ["developer", "viewer"] },
  }),
  route({
    method: "POST",
    path: "/v1/api-keys/{id}/rotate",
    setup: keyInTeamA,
    url: (r) => `/v1/api-keys/${r.keyId}/rotate`,
    body: () => ({}),
    ok: 200,
    secret: { scope: "write:api_keys", alsoHolds: ["read:vouchers"] },
    user: { deniedRoles: ["viewer"] },
    targetsResource: true,
  }),
  route({
    method: "DELETE",
    path: "/v1/api-keys/{id}",
    setup: keyInTeamA,
    url: (r) => `/v1/api-keys/${r.keyId}`,
    ok: 204,
    secret: { scope: "write:api_keys" },
    user: { deniedRoles: ["viewer"] },
    targetsResource: true,
  }),
  route({
    method: "GET",
    path: "/v1/api-keys/{id}/audit-log",
    setup: keyInTeamA,
    url: (r) => `/v1/api-keys/${r.keyId}/audit-log`,
    ok: 200,
    secret: { scope: "read:api_keys" },
    user: { allowedRoles: ["viewer"] },
    targetsResource: true,
  }),

  route({
    method: "POST",
    path: "/v1/customers",
    setup: async () => ({ customerId: uniqueId() }),
    url: () => "/v1/customers",
    body: (r) => ({ id: r.customerId }),
    ok: 201,
    secret: { scope: "write:customers" },
    agent: { scope: "write:customers" },
    user: { deniedRoles: ["viewer"], allowedRoles: ["developer"] },
  }),
  route({
    method: "GET",
    path: "/v1/customers/{id}",
    setup: customerInTeamA,
    url: (r) => `/v1/customers/${r.customerId}`,
    ok: 200,
    secret: { scope: "read:customers" },
    agent: { scope: "read:customers" },
    user: { allowedRoles: ["viewer"] },
    targetsResource: true,
  }),
  route({
    method: "GET",
    path: "/v1/customers/{id}/redemptions",
    setup: customerInTeamA,
    url: (r) => `/v1/customers/${r.customerId}/redemptions`,
    ok: 200,
    secret: { scope: "read:customers" },
    agent: { scope: "read:customers" },
    user: { allowedRoles: ["viewer"] },
    targetsResource: true,
  }),

  route({
    // Into one of team A's campaigns: another team cannot attach a voucher to it.
    method: "POST",
    path: "/v1/vouchers",
    setup: campaignInTeamA,
    url: () => "/v1/vouchers",
    body: (r) => ({ campaign_id: r.campaignId }),
    ok: 201,
    secret: { scope: "write:vouchers" },
    agent: { scope: "write:vouchers" },
    user: { deniedRoles: ["viewer"], allowedRoles: ["developer"] },
    targetsResource: true,
  }),
  route({
    method: "GET",
    path: "/v1/vouchers",
    setup: voucherInTeamA,
    url: () => "/v1/vouchers",
    ok: 200,
    secret: { scope: "read:vouchers" },
    agent: { scope: "read:vouchers" },
    user: { allowedRoles: ["viewer"] },
    listed: (r) => ({ code: r.code }),
  }),
  route({
    method: "GET",
    path: "/v1/vouchers/{code}",
    setup: voucherInTeamA,
    url: (r) => `/v1/vouchers/${r.code}`,
    ok: 200,
    secret: { scope: "read:vouchers" },
    agent: { scope: "read:vouchers" },
    user: { allowedRoles: ["viewer"] },
    targetsResource: true,
    notFoundError: "voucher_not_found",
  }),
  route({
    method: "PATCH",
    path: "/v1/vouchers/{code}",
    setup: voucherInTeamA,
    url: (r) => `/v1/vouchers/${r.code}`,
    body: () => ({ metadata: { touched: "yes" } }),
    ok: 200,
    secret: { scope: "write:vouchers" },
    agent: { scope: "write:vouchers" },
    user: { deniedRoles: ["viewer"], allowedRoles: ["developer"] },
    targetsResource: true,
    notFoundError: "voucher_not_found",
  }),
  route({
    method: "POST",
    path: "/v1/vouchers/{code}/redeem",
    setup: orderForVoucher,
    url: (r) => `/v1/vouchers/${r.code}/redeem`,
    body: (r) => ({ order: r.order }),
    ok: 201,
    secret: { scope: "redeem:vouchers" },
    agent: { scope: "redeem:vouchers" },
    user: { deniedRoles: ["viewer"], allowedRoles: ["developer"] },
    targetsResource: true,
    notFoundError: "voucher_not_found",
  }),
  route({
    method: "POST",
    path: "/v1/vouchers/{code}/rollback",
    setup: redemptionInTeamA,
    url: (r) => `/v1/vouchers/${r.code}/rollback`,
    body: (r) => ({ redemption_id: r.redemptionId }),
    ok: 200,
    secret: { scope: "redeem:vouchers" },
    agent: { scope: "redeem:vouchers" },
    user: { deniedRoles: ["viewer"], allowedRoles: ["developer"] },
    targetsResource: true,
    notFoundError: "voucher_not_found",
  }),
  route({
    method: "POST",
    path: "/v1/vouchers/bulk",
    setup: campaignInTeamA,
    url: () => "/v1/vouchers/bulk",
    body: (r) => ({ campaign_id: r.campaignId, count: 3 }),
    ok: 202,
    secret: { scope: "write:vouchers" },
    agent: { scope: "write:vouchers", queued: true },
    user: { deniedRoles: ["viewer"], allowedRoles: ["developer"] },
    targetsResource: true,
  }),

  route({
    method: "POST",
    path: "/v1/campaigns",
    url: () => "/v1/campaigns",
    body: () => ({ name: "Security case", discount: { type: "percent", percent_off: 10 } }),
    ok: 201,
    secret: { scope: "write:campaigns" },
    agent: { scope: "write:campaigns", queued: true },
    user: { deniedRoles: ["viewer"], allowedRoles: ["developer"] },
  }),
  route({
    method: "GET",
    path: "/v1/campaigns",
    setup: campaignInTeamA,
    url: () => "/v1/campaigns",
    ok: 200,
    secret: { scope: "read:campaigns" },
    agent: { scope: "read:campaigns" },
    user: { allowedRoles: ["viewer"] },
    listed: (r) => ({ id: r.campaignId }),
  }),
  route({
    method: "GET",
    path: "/v1/campaigns/{id}",
    setup: campaignInTeamA,
    url: (r) => `/v1/campaigns/${r.campaignId}`,
    ok: 200,
    secret: { scope: "read:campaigns" },
    agent: { scope: "read:campaigns" },
    user: { allowedRoles: ["viewer"] },
    targetsResource: true,
  }),
  route({
    method: "PATCH",
    path: "/v1/campaigns/{id}",
    setup: campaignInTeamA,
    url: (r) => `/v1/campaigns/${r.campaignId}`,
    body: () => ({ name: "Renamed" }),
    ok: 200,
    secret: { scope: "write:campaigns" },
    agent: { scope: "write:campaigns", queued: true },
    user: { deniedRoles: ["viewer"], allowedRoles: ["developer"] },
    targetsResource: true,
  }),
  route({
    method: "POST",
    path: "/v1/campaigns/{id}/pause",
    setup: campaignInTeamA,
    url: (r) => `/v1/campaigns/${r.campaignId}/pause`,
    body: () => ({ paused: true }),
    ok: 200,
    secret: { scope: "write:campaigns" },
    agent: { scope: "write:campaigns", queued: true },
    user: { deniedRoles: ["viewer"], allowedRoles: ["developer"] },
    targetsResource: true,
  }),

  route({
    method: "GET",
    path: "/v1/jobs/{id}",
    setup: bulkJobInTeamA(false),
    url: (r) => `/v1/jobs/${r.jobId}`,
    ok: 200,
    secret: { scope: "read:vouchers" },
    agent: { scope: "read:vouchers" },
    user: { allowedRoles: ["viewer"] },
    targetsResource: true,
  }),
  route({
    method: "GET",
    path: "/v1/jobs/{id}/codes",
    setup: bulkJobInTeamA(true),
    url: (r) => `/v1/jobs/${r.jobId}/codes`,
    ok: 200,
    secret: { scope: "read:vouchers" },
    agent: { scope: "read:vouchers" },
    user: { allowedRoles: ["viewer"] },
    targetsResource: true,
  }),
]);
