// The shared security cases, applied to every authenticated route that exists. POST /v1/vouchers/{code}/validate,
// which publishable keys may call, has its own cases in voucher-isolation.test.ts.
import { env } from "cloudflare:test";
import { expect } from "vitest";
import { addMember, call, createAgentKey, createKey, signUp } from "../helpers/api";
import { createCampaign, parseCsv, waitForJob } from "../helpers/campaigns";
import { uniqueId } from "../helpers/guarantees";
import { describeSecurity, route, type Team } from "../helpers/security";
import { createVoucher, order, redeemOk } from "../helpers/vouchers";
import { hookPath, hookUrl } from "../helpers/webhooks";

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
/** An agent's campaign creation, held by the default policy (API.md §8). */
const heldApprovalInTeamA = async (team: Team) => {
  const agent = await createAgentKey(team.admin.key, { name: "agent", scopes: ["write:campaigns"] });
  const res = await call("POST", "/v1/campaigns", { token: agent.key, body: { name: "Held", discount: { type: "percent", percent_off: 5 } } });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return { approvalId: res.body.approval_id as string };
};
const webhookInTeamA = async (team: Team) => {
  const res = await call("POST", "/v1/webhooks", { token: team.admin.key, body: { url: hookUrl(hookPath()), events: ["*"] } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { webhookId: res.body.id as string };
};
/** An endpoint of team A with a dead delivery (written straight to D1: the retry route is what is under test). */
const deadDeliveryInTeamA = async (team: Team) => {
  const { webhookId } = await webhookInTeamA(team);
  const [eventId, deliveryId, now] = [`evt_${uniqueUlid()}`, `dlv_${uniqueUlid()}`, Date.now()];
  await env.DB.batch([
    env.DB.prepare("INSERT INTO webhook_events (id, team_id, type, data, created_at, dispatched_at) VALUES (?, ?, 'webhook.test', '{}', ?, ?)").bind(eventId, team.owner.teamId, now, now),
    env.DB.prepare(
      "INSERT INTO webhook_deliveries (id, team_id, endpoint_id, event_id, event_type, status, attempt, created_at, updated_at) VALUES (?, ?, ?, ?, 'webhook.test', 'dead', 10, ?, ?)",
    ).bind(deliveryId, team.owner.teamId, webhookId, eventId, now, now),
  ]);
  return { webhookId, deliveryId };
};
const uniqueUlid = () => `01JD${Array.from(crypto.getRandomValues(new Uint8Array(22)), (b) => "0123456789ABCDEFGHJKMNPQRSTVWXYZ"[b % 32]).join("")}`;
const JOB_COUNT = 3;
/** A bulk job of a few codes in one of team A's campaigns. */
const bulkJobInTeamA = async (team: Team) => {
  const { campaignId } = await campaignInTeamA(team);
  const res = await call("POST", "/v1/vouchers/bulk", { token: team.admin.key, body: { campaign_id: campaignId, count: JOB_COUNT } });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return { jobId: res.body.id as string };
};
const jobCompleted = async (r: { jobId: string }, team: Team) =>
  expect((await waitForJob(team.admin.key, r.jobId)).status).toBe("completed");

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
    // Revoking needs the target's scopes too (API.md §2).
    secret: { scope: "write:api_keys", alsoHolds: ["read:vouchers"] },
    user: { deniedRoles: ["viewer"] },
    targetsResource: true,
  }),
  route({
    method: "GET",
    path: "/v1/api-keys/{id}/audit-log",
    setup: keyInTeamA,
    url: (r) => `/v1/api-keys/${r.keyId}/audit-log`,
    ok: 200,
    // The target key never made a request: its log is empty, and never shows the caller's own requests.
    answers: (res) => expect(res.body).toMatchObject({ data: [], has_more: false, next_cursor: null }),
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
    answers: (res, r) => expect(res.body).toMatchObject({ id: r.customerId, object: "customer" }),
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
    answers: (res, r) => expect(res.body).toMatchObject({ id: r.customerId, object: "customer", redemptions_count: 0 }),
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
    answers: (res) => expect(res.body).toMatchObject({ data: [], has_more: false }),
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
    answers: (res, r) => expect(res.body).toMatchObject({ object: "voucher", campaign_id: r.campaignId }),
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
    path: "/v1/vouchers?format=csv",
    setup: voucherInTeamA,
    url: () => "/v1/vouchers?format=csv",
    ok: 200,
    answers: (res, r) => {
      expect(res.headers.get("Content-Type")).toMatch(/^text\/csv/);
      expect(parseCsv(res.body).map((row) => row[1])).toContain(r.code);
    },
    secret: { scope: "read:vouchers" },
    agent: { scope: "read:vouchers" },
    user: { allowedRoles: ["viewer"] },
  }),
  route({
    method: "GET",
    path: "/v1/vouchers/{code}",
    setup: voucherInTeamA,
    url: (r) => `/v1/vouchers/${r.code}`,
    ok: 200,
    answers: (res, r) => expect(res.body).toMatchObject({ object: "voucher", code: r.code }),
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
    answers: (res, r) => expect(res.body).toMatchObject({ code: r.code, metadata: { touched: "yes" } }),
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
    answers: (res, r) => expect(res.body).toMatchObject({ object: "redemption", status: "redeemed", code: r.code }),
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
    answers: (res, r) => expect(res.body).toMatchObject({ id: r.redemptionId, status: "rolled_back" }),
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
    body: (r) => ({ campaign_id: r.campaignId, count: JOB_COUNT }),
    ok: 202,
    answers: (res, r) => expect(res.body).toMatchObject({ object: "job", campaign_id: r.campaignId, count: JOB_COUNT }),
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
    answers: (res, r) => expect(res.body).toMatchObject({ id: r.campaignId, object: "campaign", stats: { vouchers_count: 0 } }),
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
    answers: (res, r) => expect(res.body).toMatchObject({ id: r.campaignId, name: "Renamed" }),
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
    answers: (res, r) => expect(res.body).toMatchObject({ id: r.campaignId, status: "paused" }),
    secret: { scope: "write:campaigns" },
    agent: { scope: "write:campaigns", queued: true },
    user: { deniedRoles: ["viewer"], allowedRoles: ["developer"] },
    targetsResource: true,
  }),

  route({
    method: "GET",
    path: "/v1/jobs/{id}",
    setup: bulkJobInTeamA,
    url: (r) => `/v1/jobs/${r.jobId}`,
    ok: 200,
    answers: (res, r) => expect(res.body).toMatchObject({ id: r.jobId, object: "job", count: JOB_COUNT }),
    secret: { scope: "read:vouchers" },
    agent: { scope: "read:vouchers" },
    user: { allowedRoles: ["viewer"] },
    targetsResource: true,
  }),
  route({
    method: "GET",
    path: "/v1/jobs/{id}/codes",
    setup: bulkJobInTeamA,
    ready: jobCompleted,
    url: (r) => `/v1/jobs/${r.jobId}/codes`,
    ok: 200,
    answers: (res) => {
      expect(res.headers.get("Content-Type")).toMatch(/^text\/csv/);
      const rows = parseCsv(res.body);
      expect(rows[0]).toEqual(["code", "voucher_id"]);
      expect(new Set(rows.slice(1).map(([code]) => code)).size).toBe(JOB_COUNT);
      for (const [, voucherId] of rows.slice(1)) expect(voucherId).toMatch(/^vch_/);
    },
    secret: { scope: "read:vouchers" },
    agent: { scope: "read:vouchers" },
    user: { allowedRoles: ["viewer"] },
    targetsResource: true,
  }),
  route({
    method: "GET",
    path: "/v1/agent-approvals",
    setup: heldApprovalInTeamA,
    url: () => "/v1/agent-approvals",
    ok: 200,
    secret: { scope: "read:approvals" },
    user: { allowedRoles: ["admin", "developer"], deniedRoles: ["viewer"] },
    listed: (r) => ({ id: r.approvalId, status: "pending_approval" }),
  }),
  route({
    method: "GET",
    path: "/v1/agent-approvals/{id}",
    setup: heldApprovalInTeamA,
    url: (r) => `/v1/agent-approvals/${r.approvalId}`,
    ok: 200,
    answers: (res, r) => expect(res.body).toMatchObject({ id: r.approvalId, operation: "create_campaign" }),
    secret: { scope: "read:approvals" },
    agentSeesOwnOnly: true,
    user: { allowedRoles: ["admin", "developer"], deniedRoles: ["viewer"] },
    targetsResource: true,
  }),
  route({
    method: "POST",
    path: "/v1/agent-approvals/{id}/approve",
    setup: heldApprovalInTeamA,
    url: (r) => `/v1/agent-approvals/${r.approvalId}/approve`,
    ok: 200,
    answers: (res) => expect(res.body).toMatchObject({ status: "executed", execution_result: { status: 201 } }),
    secret: { scope: "write:approvals" },
    user: { allowedRoles: ["admin"], deniedRoles: ["developer", "viewer"] },
    targetsResource: true,
  }),
  route({
    method: "POST",
    path: "/v1/agent-approvals/{id}/reject",
    setup: heldApprovalInTeamA,
    url: (r) => `/v1/agent-approvals/${r.approvalId}/reject`,
    body: () => ({ reason: "no" }),
    ok: 200,
    answers: (res) => expect(res.body).toMatchObject({ status: "rejected", reason: "no" }),
    secret: { scope: "write:approvals" },
    user: { allowedRoles: ["admin"], deniedRoles: ["developer", "viewer"] },
    targetsResource: true,
  }),
  route({
    method: "GET",
    path: "/v1/approval-policy",
    url: () => "/v1/approval-policy",
    ok: 200,
    answers: (res) => expect(res.body).toMatchObject({ object: "approval_policy", ttl_seconds: 900 }),
    secret: { scope: "read:approvals" },
    user: { allowedRoles: ["developer", "viewer"] },
  }),
  route({
    method: "GET",
    path: "/v1/reports/redemptions",
    url: () => "/v1/reports/redemptions",
    ok: 200,
    answers: (res) => expect(String(res.body)).toMatch(/^event,at,redemption_id,/),
    secret: { scope: "read:analytics" },
    agent: { scope: "read:analytics" },
    user: { allowedRoles: ["viewer"] },
  }),
  route({
    method: "GET",
    path: "/v1/customers/{id}/export",
    setup: customerInTeamA,
    url: (r) => `/v1/customers/${r.customerId}/export`,
    ok: 200,
    answers: (res, r) => expect(res.body).toMatchObject({ object: "customer_export", customer: { id: r.customerId } }),
    secret: { scope: "read:customers" },
    agent: { scope: "read:customers" },
    user: { allowedRoles: ["viewer"] },
    targetsResource: true,
  }),

  route({
    method: "POST",
    path: "/v1/webhooks",
    setup: async () => ({ url: hookUrl(hookPath()) }),
    url: () => "/v1/webhooks",
    body: (r) => ({ url: r.url, events: ["voucher.redeemed"] }),
    ok: 201,
    answers: (res) => expect(res.body).toMatchObject({ object: "webhook_endpoint", status: "enabled", secret: expect.stringMatching(/^whsec_/) }),
    secret: { scope: "write:webhooks" },
    agent: { scope: "write:webhooks", queued: true },
    user: { deniedRoles: ["viewer"], allowedRoles: ["developer"] },
  }),
  route({
    method: "GET",
    path: "/v1/webhooks",
    setup: webhookInTeamA,
    url: () => "/v1/webhooks",
    ok: 200,
    answers: (res) => expect(JSON.stringify(res.body)).not.toContain("whsec_"),
    secret: { scope: "read:webhooks" },
    agent: { scope: "read:webhooks" },
    user: { allowedRoles: ["viewer"] },
    listed: (r) => ({ id: r.webhookId }),
  }),
  route({
    method: "GET",
    path: "/v1/webhooks/{id}",
    setup: webhookInTeamA,
    url: (r) => `/v1/webhooks/${r.webhookId}`,
    ok: 200,
    answers: (res, r) => {
      expect(res.body).toMatchObject({ id: r.webhookId, object: "webhook_endpoint" });
      expect(res.body.secret).toBeUndefined();
    },
    secret: { scope: "read:webhooks" },
    agent: { scope: "read:webhooks" },
    user: { allowedRoles: ["viewer"] },
    targetsResource: true,
  }),
  route({
    method: "PATCH",
    path: "/v1/webhooks/{id}",
    setup: webhookInTeamA,
    url: (r) => `/v1/webhooks/${r.webhookId}`,
    body: () => ({ description: "Touched" }),
    ok: 200,
    answers: (res, r) => expect(res.body).toMatchObject({ id: r.webhookId, description: "Touched" }),
    secret: { scope: "write:webhooks" },
    agent: { scope: "write:webhooks", queued: true },
    user: { deniedRoles: ["viewer"], allowedRoles: ["developer"] },
    targetsResource: true,
  }),
  route({
    method: "DELETE",
    path: "/v1/webhooks/{id}",
    setup: webhookInTeamA,
    url: (r) => `/v1/webhooks/${r.webhookId}`,
    ok: 204,
    secret: { scope: "write:webhooks" },
    agent: { scope: "write:webhooks", queued: true },
    user: { deniedRoles: ["viewer"], allowedRoles: ["developer"] },
    targetsResource: true,
  }),
  route({
    method: "POST",
    path: "/v1/webhooks/{id}/rotate-secret",
    setup: webhookInTeamA,
    url: (r) => `/v1/webhooks/${r.webhookId}/rotate-secret`,
    body: () => ({ expire_old_in_seconds: 60 }),
    ok: 200,
    answers: (res) => expect(res.body).toMatchObject({ secret: expect.stringMatching(/^whsec_/) }),
    secret: { scope: "write:webhooks" },
    agent: { scope: "write:webhooks", queued: true },
    user: { deniedRoles: ["viewer"], allowedRoles: ["developer"] },
    targetsResource: true,
  }),
  route({
    method: "POST",
    path: "/v1/webhooks/{id}/test",
    setup: webhookInTeamA,
    url: (r) => `/v1/webhooks/${r.webhookId}/test`,
    ok: 202,
    answers: (res, r) => expect(res.body).toMatchObject({ object: "event", type: "webhook.test", data: { webhook_id: r.webhookId } }),
    secret: { scope: "write:webhooks" },
    agent: { scope: "write:webhooks" },
    user: { deniedRoles: ["viewer"], allowedRoles: ["developer"] },
    targetsResource: true,
  }),
  route({
    method: "GET",
    path: "/v1/webhooks/{id}/deliveries",
    setup: deadDeliveryInTeamA,
    url: (r) => `/v1/webhooks/${r.webhookId}/deliveries`,
    ok: 200,
    answers: (res, r) => expect(res.body.data).toContainEqual(expect.objectContaining({ id: r.deliveryId, webhook_id: r.webhookId })),
    secret: { scope: "read:webhooks" },
    agent: { scope: "read:webhooks" },
    user: { allowedRoles: ["viewer"] },
    targetsResource: true,
  }),
  route({
    method: "POST",
    path: "/v1/webhooks/{id}/deliveries/{delivery_id}/retry",
    setup: deadDeliveryInTeamA,
    url: (r) => `/v1/webhooks/${r.webhookId}/deliveries/${r.deliveryId}/retry`,
    ok: 202,
    answers: (res, r) => expect(res.body).toMatchObject({ id: r.deliveryId, status: "pending" }),
    secret: { scope: "write:webhooks" },
    agent: { scope: "write:webhooks" },
    user: { deniedRoles: ["viewer"], allowedRoles: ["developer"] },
    targetsResource: true,
  }),
  route({
    method: "GET",
    path: "/v1/analytics/overview",
    url: () => "/v1/analytics/overview",
    ok: 200,
    answers: (res) => expect(res.body).toMatchObject({ object: "analytics_overview" }),
    secret: { scope: "read:analytics" },
    agent: { scope: "read:analytics" },
    user: { allowedRoles: ["viewer"] },
  }),
  route({
    method: "GET",
    path: "/v1/analytics/campaigns/{id}",
    setup: campaignInTeamA,
    url: (r) => `/v1/analytics/campaigns/${r.campaignId}`,
    ok: 200,
    answers: (res, r) => expect(res.body).toMatchObject({ campaign_id: r.campaignId }),
    secret: { scope: "read:analytics" },
    agent: { scope: "read:analytics" },
    user: { allowedRoles: ["viewer"] },
    targetsResource: true,
  }),
  route({
    method: "GET",
    path: "/v1/analytics/fraud",
    url: () => "/v1/analytics/fraud",
    ok: 200,
    secret: { scope: "read:analytics" },
    agent: { scope: "read:analytics" },
    user: { allowedRoles: ["viewer"] },
  }),
  route({
    method: "DELETE",
    path: "/v1/customers/{id}",
    setup: customerInTeamA,
    url: (r) => `/v1/customers/${r.customerId}`,
    ok: 204,
    secret: { scope: "write:customers" },
    agent: { scope: "write:customers", queued: true },
    user: { allowedRoles: ["developer"], deniedRoles: ["viewer"] },
    targetsResource: true,
  }),
  route({
    method: "GET",
    path: "/v1/analytics/fraud/settings",
    url: () => "/v1/analytics/fraud/settings",
    ok: 200,
    answers: (res) => expect(res.body).toMatchObject({ object: "fraud_settings", code_enumeration: { count: 20 } }),
    secret: { scope: "read:analytics" },
    agent: { scope: "read:analytics" },
    user: { allowedRoles: ["viewer"] },
  }),
]);
