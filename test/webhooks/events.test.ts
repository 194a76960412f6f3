// Every event of API.md §9 that a D1 change causes is emitted by the service making the change, once per change,
// with the resource as it is after the change: campaigns, bulk jobs, agent approvals (held, approved, executed,
// rejected, expired) and test events. Checkout events come from the voucher objects' ledger stream.
import { createMessageBatch, createScheduledController, env } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import { MAX_CHUNK_ATTEMPTS } from "../../src/queues/bulk";
import { call, createAgentKey, newTeam } from "../helpers/api";
import { createCampaign, waitForJob } from "../helpers/campaigns";
import { createEndpoint, teamEvents, waitForRequests } from "../helpers/webhooks";

type Team = Awaited<ReturnType<typeof newTeam>>;

async function runScheduled() {
  await worker.scheduled(createScheduledController(), env);
}

const eventsOf = async (team: Team, type: string) =>
  (await teamEvents(team.owner.teamId)).filter((e) => e.type === type).map((e) => ({ ...e, data: JSON.parse(e.data) as Record<string, unknown> }));

describe("campaign and bulk job events", () => {
  it("campaign.created, campaign.paused and campaign.resumed carry the campaign as it became", async () => {
    const team = await newTeam();
    const endpoint = await createEndpoint(team.admin.key);
    const campaign = await createCampaign(team.admin.key);
    const paused = await call("POST", `/v1/campaigns/${campaign.id}/pause`, { token: team.admin.key, body: { paused: true } });
    const resumed = await call("POST", `/v1/campaigns/${campaign.id}/pause`, { token: team.admin.key, body: { paused: false } });
    expect((await eventsOf(team, "campaign.created")).map((e) => e.data)).toEqual([campaign]);
    expect((await eventsOf(team, "campaign.paused")).map((e) => e.data)).toEqual([paused.body]);
    expect((await eventsOf(team, "campaign.resumed")).map((e) => e.data)).toEqual([resumed.body]);
    const got = await waitForRequests(endpoint.path, 3);
    expect(got.map((r) => JSON.parse(r.body).data.status).sort()).toEqual(["active", "active", "paused"]);
  });

  it("bulk_job.completed once, however many chunks finish", async () => {
    const team = await newTeam();
    const campaign = await createCampaign(team.admin.key);
    const res = await call("POST", "/v1/vouchers/bulk", { token: team.admin.key, body: { campaign_id: campaign.id, count: 2500 } });
    expect(res.status).toBe(202);
    const job = await waitForJob(team.admin.key, res.body.id);
    expect(job.status).toBe("completed");
    // A redelivered chunk of the finished job changes nothing and emits nothing.
    const batch = createMessageBatch("vauchflow-bulk-local", [{ id: "again", timestamp: new Date(), attempts: 2, body: { kind: "bulk_chunk", jobId: job.id, teamId: team.owner.teamId, chunk: 0 } }]);
    await worker.queue(batch, env);
    const events = await eventsOf(team, "bulk_job.completed");
    expect(events).toHaveLength(1);
    expect(events[0]!.data).toMatchObject({ id: job.id, object: "job", status: "completed", count: 2500, generated_count: 2500 });
  });

  it("bulk_job.failed once when a chunk gives up, even if several do", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const team = await newTeam();
    const jobId = `job_01JDFA${crypto.randomUUID().replace(/-/g, "").slice(0, 20).toUpperCase()}`;
    // A job whose campaign is gone: every chunk fails.
    await env.DB.prepare(
      "INSERT INTO bulk_jobs (id, team_id, campaign_id, count, chunk_size, code_pattern, status, created_at) VALUES (?, ?, 'cmp_missing', 2000, 1000, '{}', 'running', ?)",
    )
      .bind(jobId, team.owner.teamId, Date.now())
      .run();
    const chunk = (n: number) => ({ id: `chunk-${n}`, timestamp: new Date(), attempts: MAX_CHUNK_ATTEMPTS, body: { kind: "bulk_chunk", jobId, teamId: team.owner.teamId, chunk: n } });
    await worker.queue(createMessageBatch("vauchflow-bulk-local", [chunk(0), chunk(1)]), env);
    await worker.queue(createMessageBatch("vauchflow-bulk-local", [chunk(1)]), env);
    const events = await eventsOf(team, "bulk_job.failed");
    expect(events).toHaveLength(1);
    expect(events[0]!.data).toMatchObject({ id: jobId, status: "failed", error: expect.stringContaining("campaign not found") });
    vi.restoreAllMocks();
  });
});

describe("agent approval events", () => {
  async function held(team: Team) {
    const agent = await createAgentKey(team.admin.key, { scopes: ["write:campaigns"] });
    const res = await call("POST", "/v1/campaigns", { token: agent.key, body: { name: "Held", discount: { type: "percent", percent_off: 5 } } });
    expect(res.status).toBe(202);
    return res.body.approval_id as string;
  }

  it("pending_approval, approved and executed, each once, even with concurrent approves; the run's own events follow", async () => {
    const team = await newTeam();
    const endpoint = await createEndpoint(team.admin.key);
    const id = await held(team);
    expect((await eventsOf(team, "agent.action.pending_approval")).map((e) => e.data)).toEqual([expect.objectContaining({ id, status: "pending_approval" })]);
    const answers = await Promise.all([1, 2, 3].map(() => call("POST", `/v1/agent-approvals/${id}/approve`, { token: team.admin.key })));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409]);
    expect((await eventsOf(team, "agent.action.approved")).map((e) => e.data)).toEqual([expect.objectContaining({ id, status: "approved", decided_by: team.admin.id })]);
    const executed = await eventsOf(team, "agent.action.executed");
    expect(executed.map((e) => e.data)).toEqual([expect.objectContaining({ id, status: "executed", execution_result: expect.objectContaining({ status: 201 }) })]);
    expect(await eventsOf(team, "campaign.created")).toHaveLength(1);
    const types = (await waitForRequests(endpoint.path, 4)).map((r) => JSON.parse(r.body).type);
    expect(types.sort()).toEqual(["agent.action.approved", "agent.action.executed", "agent.action.pending_approval", "campaign.created"]);
  });

  it("rejected once; a rejected approval can be decided no more and emits nothing more", async () => {
    const team = await newTeam();
    const id = await held(team);
    expect((await call("POST", `/v1/agent-approvals/${id}/reject`, { token: team.admin.key, body: { reason: "no" } })).status).toBe(200);
    expect((await call("POST", `/v1/agent-approvals/${id}/reject`, { token: team.admin.key })).status).toBe(409);
    expect((await call("POST", `/v1/agent-approvals/${id}/approve`, { token: team.admin.key })).status).toBe(409);
    expect((await eventsOf(team, "agent.action.rejected")).map((e) => e.data)).toEqual([expect.objectContaining({ id, status: "rejected", reason: "no" })]);
    expect(await eventsOf(team, "agent.action.approved")).toEqual([]);
  });

  it("expired once, by the sweep or by a late decision, never both", async () => {
    const team = await newTeam();
    const [swept, late] = [await held(team), await held(team)];
    await env.DB.prepare("UPDATE agent_approvals SET expires_at = ? WHERE id IN (?, ?)").bind(Date.now() - 1000, swept, late).run();
    expect((await call("POST", `/v1/agent-approvals/${late}/approve`, { token: team.admin.key })).status).toBe(409);
    await runScheduled();
    await runScheduled();
    const expired = await eventsOf(team, "agent.action.expired");
    expect(expired.map((e) => e.data.id).sort()).toEqual([late, swept].sort());
    expect(expired.every((e) => e.data.status === "expired")).toBe(true);
    expect(await eventsOf(team, "agent.action.approved")).toEqual([]);
  });
});
