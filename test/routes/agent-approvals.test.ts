// API.md §8: an agent key's high-risk writes wait for a human. The lifecycle (queue, approve, reject, expire),
// concurrent approves, who may do what, and the team's policy.
import { createScheduledController, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { EXECUTION_STALE_MS } from "../../src/services/approval-sweeps";
import { addMember, call, createAgentKey, createKey, newTeam } from "../helpers/api";
import { fullAuditLog } from "../helpers/guarantees";
import { pollUntil } from "../helpers/poll";
import { expectApiError } from "../helpers/security";
import { createEndpoint } from "../helpers/webhooks";

type Team = Awaited<ReturnType<typeof newTeam>>;
const CONTEXT = "agent=claude;client=claude-desktop@1.2.0;prompt_fp=0a1b2c3d;conv=c-42";
const campaignBody = (name = `Held ${crypto.randomUUID().slice(0, 8)}`) => ({ name, discount: { type: "percent", percent_off: 15 } });

async function agentOf(team: Team, scopes = ["read:campaigns", "write:campaigns", "read:approvals"]) {
  return createAgentKey(team.admin.key, { name: "assistant", scopes });
}

/** An agent asks to create a campaign; the default policy holds it. */
async function heldCampaign(team: Team, agentKey: string, headers: Record<string, string> = {}) {
  const body = campaignBody();
  const res = await call("POST", "/v1/campaigns", { token: agentKey, body, headers: { "Vauchflow-Agent-Context": CONTEXT, ...headers } });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return { approvalId: res.body.approval_id as string, body, answer: res };
}

const campaignNames = async (team: Team) => {
  const res = await call("GET", "/v1/campaigns?limit=100", { token: team.admin.key });
  expect(res.status).toBe(200);
  return (res.body.data as { name: string }[]).map((c) => c.name);
};

const approve = (token: string, id: string, headers: Record<string, string> = {}) => call("POST", `/v1/agent-approvals/${id}/approve`, { token, headers });
const reject = (token: string, id: string, body: unknown = {}) => call("POST", `/v1/agent-approvals/${id}/reject`, { token, body });
const getApproval = (token: string, id: string, headers: Record<string, string> = {}) => call("GET", `/v1/agent-approvals/${id}`, { token, headers });

describe("agent approvals: the lifecycle", () => {
  it("a held request answers 202, changes nothing, and is stored whole", async () => {
    const team = await newTeam();
    const agent = await agentOf(team);
    const before = Date.now();
    const { approvalId, body, answer } = await heldCampaign(team, agent.key, { "Idempotency-Key": "held-1" });
    const after = Date.now();
    expect(approvalId).toMatch(/^apr_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(answer.body).toEqual({ approval_id: approvalId, status: "pending_approval", expires_at: expect.any(String) });
    // 15 minutes from when the request was held (somewhere between before and after), shown to the second.
    const expiresAt = Date.parse(answer.body.expires_at);
    expect(expiresAt).toBeGreaterThanOrEqual(Math.floor((before + 15 * 60_000) / 1000) * 1000);
    expect(expiresAt).toBeLessThanOrEqual(after + 15 * 60_000);
    expect(await campaignNames(team)).not.toContain(body.name);

    const stored = await getApproval(team.admin.key, approvalId);
    expect(stored.status).toBe(200);
    expect(stored.body).toMatchObject({
      id: approvalId,
      status: "pending_approval",
      operation: "create_campaign",
      method: "POST",
      path: "/v1/campaigns",
      body,
      agent_key_id: agent.id,
      agent_context: { agent: "claude", client: "claude-desktop@1.2.0", prompt_fp: "0a1b2c3d", conv: "c-42" },
      decided_by: null,
      decided_at: null,
      execution_result: null,
    });
    // The agent's retry with its Idempotency-Key is the same approval, not a second one.
    const retry = await call("POST", "/v1/campaigns", { token: agent.key, body, headers: { "Vauchflow-Agent-Context": CONTEXT, "Idempotency-Key": "held-1" } });
    expect(retry.headers.get("Idempotent-Replayed")).toBe("true");
    expect(retry.body.approval_id).toBe(approvalId);
    const pending = await call("GET", "/v1/agent-approvals?status=pending_approval", { token: team.admin.key });
    expect(pending.body.data.map((a: { id: string }) => a.id)).toEqual([approvalId]);
  });

  it("approve runs the request once, as the agent: executed, with the result; the audit names agent and approver", async () => {
    const team = await newTeam();
    const agent = await agentOf(team);
    const { approvalId, body } = await heldCampaign(team, agent.key);
    const res = await approve(team.admin.key, approvalId);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ id: approvalId, status: "executed", decided_by: team.admin.id, execution_result: { status: 201 } });
    expect(res.body.execution_result.body).toMatchObject({ name: body.name, object: "campaign" });
    expect(Date.parse(res.body.decided_at)).toBeGreaterThan(0);
    expect(await campaignNames(team)).toContain(body.name);
    expectApiError(await approve(team.admin.key, approvalId), 409, "approval_not_pending");
    expectApiError(await reject(team.admin.key, approvalId), 409, "approval_not_pending");

    // The agent's log shows the held request (202) and the run, which names the approval and the approver.
    const run = await pollUntil(
      async () => (await fullAuditLog(team.admin.key, agent.id)).find((e) => (e as { approval_id?: string }).approval_id === approvalId),
      (entry) => entry !== undefined,
    );
    expect(run).toMatchObject({ method: "POST", path: "/v1/campaigns", status: 201, approval_id: approvalId, decided_by: team.admin.id, agent_context: { agent: "claude" } });
  });

  it("reject is final: nothing runs, the reason is kept", async () => {
    const team = await newTeam();
    const agent = await agentOf(team);
    const { approvalId, body } = await heldCampaign(team, agent.key);
    const res = await reject(team.owner.accessToken, approvalId, { reason: "not this week" });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ status: "rejected", reason: "not this week", decided_by: team.owner.userId, execution_result: null });
    expectApiError(await approve(team.admin.key, approvalId), 409, "approval_not_pending");
    expect(await campaignNames(team)).not.toContain(body.name);
  });

  it("ten concurrent approves: one runs the request, the others get 409; one campaign exists", async () => {
    const team = await newTeam();
    const agent = await agentOf(team);
    const { approvalId, body } = await heldCampaign(team, agent.key);
    const answers = await Promise.all(Array.from({ length: 10 }, () => approve(team.admin.key, approvalId)));
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    for (const a of answers.filter((x) => x.status !== 200)) expectApiError(a, 409, "approval_not_pending");
    expect((await campaignNames(team)).filter((n) => n === body.name)).toHaveLength(1);
  });

  it("expiry happens by itself: the scheduled sweep expires what is past due, and an expired approval cannot be decided", async () => {
    const team = await newTeam();
    const agent = await agentOf(team);
    const due = await heldCampaign(team, agent.key);
    const fresh = await heldCampaign(team, agent.key);
    await env.DB.prepare("UPDATE agent_approvals SET expires_at = ? WHERE id = ?").bind(Date.now() - 1000, due.approvalId).run();
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "* * * * *" }), env);
    expect((await getApproval(team.admin.key, due.approvalId)).body.status).toBe("expired");
    expect((await getApproval(team.admin.key, fresh.approvalId)).body.status).toBe("pending_approval");
    expectApiError(await approve(team.admin.key, due.approvalId), 409, "approval_not_pending");
    expect(await campaignNames(team)).not.toContain(due.body.name);
  });

  it("an approval left `approved` by a run that never recorded its result is closed as failed by the sweep", async () => {
    const team = await newTeam();
    const agent = await agentOf(team);
    const stuck = await heldCampaign(team, agent.key);
    const recent = await heldCampaign(team, agent.key);
    // What a worker stopping between the decision and the recorded result leaves behind: approved, no result.
    const decided = (ago: number, id: string) =>
      env.DB.prepare("UPDATE agent_approvals SET status = 'approved', decided_by = ?, decided_at = ? WHERE id = ?").bind(team.owner.userId, Date.now() - ago, id).run();
    await decided(EXECUTION_STALE_MS + 1000, stuck.approvalId);
    await decided(1000, recent.approvalId);
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "* * * * *" }), env);
    const closed = (await getApproval(team.admin.key, stuck.approvalId)).body;
    expect(closed.status).toBe("failed");
    expect(closed.execution_result.status).toBe(500);
    expect(closed.execution_result.body.error).toBe("internal_error");
    expect(closed.execution_result.body.message).toContain("unknown");
    // One still within the time a run takes is left to finish.
    expect((await getApproval(team.admin.key, recent.approvalId)).body.status).toBe("approved");
    const events = await env.DB.prepare("SELECT data FROM webhook_events WHERE team_id = ? AND type = 'agent.action.executed'").bind(team.owner.teamId).all<{ data: string }>();
    expect(events.results.map((e) => JSON.parse(e.data).id)).toEqual([stuck.approvalId]);
    expectApiError(await approve(team.admin.key, stuck.approvalId), 409, "approval_not_pending");
  });

  it("an approval past its expiry that the sweep has not reached yet still cannot be approved", async () => {
    const team = await newTeam();
    const agent = await agentOf(team);
    const { approvalId } = await heldCampaign(team, agent.key);
    await env.DB.prepare("UPDATE agent_approvals SET expires_at = ? WHERE id = ?").bind(Date.now() - 1000, approvalId).run();
    const res = await approve(team.admin.key, approvalId);
    expectApiError(res, 409, "approval_not_pending");
    expect(res.body.message).toContain("expired");
    expect((await getApproval(team.admin.key, approvalId)).body.status).toBe("expired");
  });

  it("an approval past its expiry reads expired at once, to its agent and in lists, before the sweep; its event is sent once", async () => {
    const team = await newTeam();
    const agent = await agentOf(team);
    const { approvalId } = await heldCampaign(team, agent.key);
    await env.DB.prepare("UPDATE agent_approvals SET expires_at = ? WHERE id = ?").bind(Date.now() - 1000, approvalId).run();
    const ids = async (status: string) =>
      (await call("GET", `/v1/agent-approvals?status=${status}`, { token: team.admin.key })).body.data.map((a: { id: string }) => a.id);
    expect(await ids("pending_approval")).not.toContain(approvalId);
    expect(await ids("expired")).toContain(approvalId);
    expect((await getApproval(team.admin.key, approvalId)).body.status).toBe("expired");
    expect((await call("GET", `/v1/agent-approvals/${approvalId}`, { token: agent.key })).body.status).toBe("expired");
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "* * * * *" }), env);
    const events = await env.DB.prepare("SELECT data FROM webhook_events WHERE team_id = ? AND type = 'agent.action.expired'").bind(team.owner.teamId).all<{ data: string }>();
    expect(events.results.map((e) => JSON.parse(e.data).id)).toEqual([approvalId]);
  });

  it("a revoked agent key makes the approval fail with 401; nothing is created", async () => {
    const team = await newTeam();
    const agent = await agentOf(team);
    const { approvalId, body } = await heldCampaign(team, agent.key);
    expect((await call("DELETE", `/v1/api-keys/${agent.id}`, { token: team.admin.key })).status).toBe(204);
    const res = await approve(team.admin.key, approvalId);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "failed", execution_result: { status: 401, body: { error: "invalid_api_key" } } });
    expect(await campaignNames(team)).not.toContain(body.name);
  });

  it("the agent's rate limit at approval time applies: a spent window makes the approval fail with 429", async () => {
    const team = await newTeam();
    const limited = await createKey(team.owner.accessToken, { name: "limited maker", rate_limit_per_minute: 2 });
    const agent = await createAgentKey(limited.key, { name: "limited agent", scopes: ["read:campaigns", "write:campaigns"] });
    const { approvalId } = await heldCampaign(team, agent.key);
    expect((await call("GET", "/v1/campaigns", { token: agent.key })).status).toBe(200);
    const res = await approve(team.admin.key, approvalId);
    expect(res.body).toMatchObject({ status: "failed", execution_result: { status: 429, body: { error: "rate_limit_exceeded" } } });
  });

  it("bulk generation waits, then runs as a job once approved", async () => {
    const team = await newTeam();
    const campaign = await call("POST", "/v1/campaigns", { token: team.admin.key, body: campaignBody() });
    const agent = await agentOf(team, ["write:vouchers"]);
    const held = await call("POST", "/v1/vouchers/bulk", { token: agent.key, body: { campaign_id: campaign.body.id, count: 5 } });
    expect(held.status, JSON.stringify(held.body)).toBe(202);
    expect(held.body.status).toBe("pending_approval");
    const res = await approve(team.owner.accessToken, held.body.approval_id);
    expect(res.body).toMatchObject({ status: "executed", operation: "bulk_create_vouchers", execution_result: { status: 202, body: { object: "job", count: 5 } } });
  });
});

describe("agent approvals: who may do what", () => {
  it("operators read; the creating agent reads its own; other agents get 404; viewers and agents cannot list", async () => {
    const team = await newTeam();
    const agent = await agentOf(team);
    const { approvalId } = await heldCampaign(team, agent.key);
    const developer = await addMember(team.owner.accessToken, team.owner.teamId, "developer");
    const viewer = await addMember(team.owner.accessToken, team.owner.teamId, "viewer");
    const asMember = (m: { accessToken: string }) => ({ token: m.accessToken, headers: { "X-Team-Id": team.owner.teamId } });
    expect((await getApproval(team.owner.accessToken, approvalId)).status).toBe(200);
    expect((await call("GET", `/v1/agent-approvals/${approvalId}`, asMember(developer))).status).toBe(200);
    expect((await call("GET", "/v1/agent-approvals", asMember(developer))).status).toBe(200);
    expectApiError(await call("GET", "/v1/agent-approvals", asMember(viewer)), 403, "insufficient_role");
    expect((await getApproval(agent.key, approvalId)).status).toBe(200);
    const other = await agentOf(team);
    expectApiError(await getApproval(other.key, approvalId), 404, "not_found");
    expectApiError(await call("GET", "/v1/agent-approvals", { token: agent.key }), 403, "key_type_not_allowed");
    // Another team never sees it.
    const outsider = await newTeam();
    expectApiError(await getApproval(outsider.admin.key, approvalId), 404, "not_found");
    expectApiError(await approve(outsider.admin.key, approvalId), 404, "not_found");
  });

  it("only secret keys with write:approvals and owners/admins decide: developers, viewers, agents and read keys cannot", async () => {
    const team = await newTeam();
    const agent = await agentOf(team, ["write:campaigns", "write:approvals", "read:approvals"]);
    const { approvalId } = await heldCampaign(team, agent.key);
    const developer = await addMember(team.owner.accessToken, team.owner.teamId, "developer");
    const viewer = await addMember(team.owner.accessToken, team.owner.teamId, "viewer");
    const admin = await addMember(team.owner.accessToken, team.owner.teamId, "admin");
    const reader = await createKey(team.owner.accessToken, { name: "reader", scopes: ["read"] });
    const asMember = (m: { accessToken: string }) => ({ "X-Team-Id": team.owner.teamId, token: m.accessToken });
    expectApiError(await approve(developer.accessToken, approvalId, { "X-Team-Id": team.owner.teamId }), 403, "insufficient_role");
    expectApiError(await approve(viewer.accessToken, approvalId, { "X-Team-Id": team.owner.teamId }), 403, "insufficient_role");
    expectApiError(await approve(agent.key, approvalId), 403, "key_type_not_allowed");
    expectApiError(await approve(reader.key, approvalId), 403, "insufficient_scope");
    expect((await getApproval(team.admin.key, approvalId)).body.status).toBe("pending_approval");
    const decided = await approve(asMember(admin).token, approvalId, { "X-Team-Id": team.owner.teamId });
    expect(decided.status, JSON.stringify(decided.body)).toBe(200);
    expect(decided.body.decided_by).toBe(admin.userId);
  });

  it("secret keys and users never wait; agents' single voucher, redeem and dry runs run at once", async () => {
    const team = await newTeam();
    expect((await call("POST", "/v1/campaigns", { token: team.admin.key, body: campaignBody() })).status).toBe(201);
    expect((await call("POST", "/v1/campaigns", { token: team.owner.accessToken, body: campaignBody() })).status).toBe(201);
    const agent = await agentOf(team, ["write:vouchers", "redeem:vouchers", "write:campaigns"]);
    const voucher = await call("POST", "/v1/vouchers", { token: agent.key, body: { discount: { type: "amount", amount_off: 100 }, currency: "EUR" } });
    expect(voucher.status, JSON.stringify(voucher.body)).toBe(201);
    const redeemed = await call("POST", `/v1/vouchers/${voucher.body.code}/redeem`, { token: agent.key, body: { order: { id: "order-1", amount: 1000, currency: "EUR" } } });
    expect(redeemed.status, JSON.stringify(redeemed.body)).toBe(201);
    const preview = await call("POST", "/v1/campaigns", { token: agent.key, body: campaignBody(), headers: { "Vauchflow-Dry-Run": "true" } });
    expect(preview.status, JSON.stringify(preview.body)).toBe(201);
    expect(preview.body.dry_run).toBe(true);
    expect((await call("GET", "/v1/agent-approvals", { token: team.admin.key })).body.data).toEqual([]);
  });

  it("an agent's write on a campaign or customer that does not exist (or is another team's) is 404 at once, not queued", async () => {
    const team = await newTeam();
    const other = await newTeam();
    const foreign = await call("POST", "/v1/campaigns", { token: other.admin.key, body: campaignBody() });
    expect(foreign.status).toBe(201);
    const agent = await agentOf(team, ["write:campaigns", "write:vouchers", "write:customers"]);
    for (const id of ["cmp_01JD0000000000000000000000", foreign.body.id as string]) {
      expectApiError(await call("PATCH", `/v1/campaigns/${id}`, { token: agent.key, body: { name: "Renamed" } }), 404, "not_found");
      expectApiError(await call("POST", `/v1/campaigns/${id}/pause`, { token: agent.key, body: { paused: true } }), 404, "not_found");
      expectApiError(await call("POST", "/v1/vouchers/bulk", { token: agent.key, body: { campaign_id: id, count: 10 } }), 404, "not_found");
    }
    expectApiError(await call("DELETE", "/v1/customers/nobody-here", { token: agent.key }), 404, "not_found");
    expect((await call("GET", "/v1/agent-approvals", { token: team.admin.key })).body.data).toEqual([]);
  });

  it("an agent lacking the scope is refused at once, not queued", async () => {
    const team = await newTeam();
    const agent = await agentOf(team, ["read:campaigns"]);
    expectApiError(await call("POST", "/v1/campaigns", { token: agent.key, body: campaignBody() }), 403, "insufficient_scope");
    expect((await call("GET", "/v1/agent-approvals", { token: team.admin.key })).body.data).toEqual([]);
  });
});

describe("approval policy", () => {
  it("defaults follow the contract; owners change them, and the change holds from the very next request", async () => {
    const team = await newTeam();
    const policy = await call("GET", "/v1/approval-policy", { token: team.admin.key });
    expect(policy.status).toBe(200);
    expect(policy.body).toMatchObject({
      ttl_seconds: 900,
      rules: { create_voucher: "execute", redeem_voucher: "execute", bulk_create_vouchers: "approve", create_campaign: "approve", pause_campaign: "approve", delete_webhook: "approve" },
    });
    const changed = await call("PUT", "/v1/approval-policy", { token: team.owner.accessToken, body: { rules: { create_voucher: "approve", create_campaign: "execute" }, ttl_seconds: 120 } });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(changed.body.rules).toMatchObject({ create_voucher: "approve", create_campaign: "execute", update_campaign: "approve" });
    expect(changed.body.updated_by).toBe(team.owner.userId);

    const agent = await agentOf(team, ["write:vouchers", "write:campaigns"]);
    const held = await call("POST", "/v1/vouchers", { token: agent.key, body: { discount: { type: "percent", percent_off: 5 } } });
    expect(held.status).toBe(202);
    expect(Date.parse(held.body.expires_at) - Date.now()).toBeLessThanOrEqual(120_000);
    expect((await call("POST", "/v1/campaigns", { token: agent.key, body: campaignBody() })).status).toBe(201);
  });

  it("lists the webhook operations with their defaults: changing an endpoint or its secret waits, a test event or a retry runs", async () => {
    const team = await newTeam();
    const policy = await call("GET", "/v1/approval-policy", { token: team.admin.key });
    expect(policy.body.rules).toMatchObject({
      create_webhook: "approve",
      update_webhook: "approve",
      delete_webhook: "approve",
      rotate_webhook_secret: "approve",
      send_webhook_test_event: "execute",
      retry_webhook_delivery: "execute",
    });
    const changed = await call("PUT", "/v1/approval-policy", { token: team.admin.key, body: { rules: { update_webhook: "execute", retry_webhook_delivery: "approve" } } });
    expect(changed.body.rules).toMatchObject({ update_webhook: "execute", retry_webhook_delivery: "approve", rotate_webhook_secret: "approve" });
  });

  it("a policy stored before an operation existed gives that operation its default", async () => {
    const team = await newTeam();
    // As written before the webhook update, rotation, test and retry rules were added: the older keys only.
    const older = { create_voucher: "approve", create_webhook: "execute", delete_webhook: "approve", redeem_voucher: "execute" };
    await env.DB.prepare("INSERT INTO approval_policies (team_id, rules, ttl_seconds, updated_at, updated_by) VALUES (?, ?, 600, ?, ?)")
      .bind(team.owner.teamId, JSON.stringify(older), Date.now(), team.owner.userId)
      .run();
    const policy = await call("GET", "/v1/approval-policy", { token: team.admin.key });
    expect(policy.body).toMatchObject({ ttl_seconds: 600, rules: { ...older, update_webhook: "approve", rotate_webhook_secret: "approve", send_webhook_test_event: "execute" } });
    const endpoint = await createEndpoint(team.admin.key);
    const agent = await agentOf(team, ["write:webhooks"]);
    const held = await call("PATCH", `/v1/webhooks/${endpoint.id}`, { token: agent.key, body: { description: "Later" } });
    expect(held.status, JSON.stringify(held.body)).toBe(202);
    expect(held.body.status).toBe("pending_approval");
  });

  it("only owners, admins and admin keys change it; unknown operations and out-of-range TTLs are 400", async () => {
    const team = await newTeam();
    const developer = await addMember(team.owner.accessToken, team.owner.teamId, "developer");
    const writer = await createKey(team.owner.accessToken, { name: "writer", scopes: ["write"] });
    const put = (token: string, body: unknown, headers: Record<string, string> = {}) => call("PUT", "/v1/approval-policy", { token, body, headers });
    expectApiError(await put(developer.accessToken, {}, { "X-Team-Id": team.owner.teamId }), 403, "insufficient_role");
    expectApiError(await put(writer.key, {}), 403, "insufficient_scope");
    const agent = await agentOf(team, ["write:campaigns", "read:approvals"]);
    expectApiError(await put(agent.key, {}), 403, "key_type_not_allowed");
    expect((await put(team.admin.key, { rules: { redeem_voucher: "approve" } })).status).toBe(200);
    expectApiError(await put(team.admin.key, { rules: { launch_rockets: "approve" } }), 400, "invalid_request");
    expectApiError(await put(team.admin.key, { rules: { redeem_voucher: "maybe" } }), 400, "invalid_request");
    expectApiError(await put(team.admin.key, { ttl_seconds: 5 }), 400, "invalid_request");
    // Each team has its own policy.
    const other = await newTeam();
    expect((await call("GET", "/v1/approval-policy", { token: other.admin.key })).body.rules.redeem_voucher).toBe("execute");
  });

  it("any voucher creation of more than 100 codes waits whatever the rules say", async () => {
    const team = await newTeam();
    await call("PUT", "/v1/approval-policy", { token: team.admin.key, body: { rules: { bulk_create_vouchers: "execute" } } });
    const campaign = await call("POST", "/v1/campaigns", { token: team.admin.key, body: campaignBody() });
    const agent = await agentOf(team, ["write:vouchers"]);
    const small = await call("POST", "/v1/vouchers/bulk", { token: agent.key, body: { campaign_id: campaign.body.id, count: 100 } });
    expect(small.status).toBe(202);
    expect(small.body.object).toBe("job");
    const large = await call("POST", "/v1/vouchers/bulk", { token: agent.key, body: { campaign_id: campaign.body.id, count: 101 } });
    expect(large.status).toBe(202);
    expect(large.body.status).toBe("pending_approval");
  });
});
