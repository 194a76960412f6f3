// API.md §8 over §9: an agent key's webhook writes under the approval policy. Changing an endpoint or rotating its
// secret waits for a human like creating one (either would redirect the team's events or who can verify them);
// a test event or a retry runs at once. Secret keys and users never wait; a team's policy can change each rule.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { unseal } from "../../src/lib/sealing";
import { readReplacedSecrets } from "../../src/lib/webhook-secrets";
import { call, createAgentKey, newTeam, sleep } from "../helpers/api";
import { fullAuditLog } from "../helpers/guarantees";
import { expectApiError } from "../helpers/security";
import { createEndpoint, hookPath, hookUrl, teamEvents } from "../helpers/webhooks";

type Team = Awaited<ReturnType<typeof newTeam>>;

const agentOf = (team: Team) => createAgentKey(team.admin.key, { name: "assistant", scopes: ["read:webhooks", "write:webhooks", "read:approvals"] });
const approve = (team: Team, id: string) => call("POST", `/v1/agent-approvals/${id}/approve`, { token: team.admin.key });
const endpointOf = async (team: Team, id: string) => (await call("GET", `/v1/webhooks/${id}`, { token: team.admin.key })).body;
const approvals = async (team: Team) => (await call("GET", "/v1/agent-approvals", { token: team.admin.key })).body.data as { id: string }[];
/** The endpoint's current secret and the newest one it replaced (the stored list of replaced secrets, newest first). */
const secretsOf = async (id: string) => {
  const row = await env.DB.prepare("SELECT secret, previous_secret, previous_secret_expires_at FROM webhook_endpoints WHERE id = ?")
    .bind(id)
    .first<{ secret: string; previous_secret: string | null; previous_secret_expires_at: number | null }>();
  const replaced = await readReplacedSecrets(env.ENCRYPTION_KEY, row!.previous_secret, row!.previous_secret_expires_at);
  return { current: await unseal(env.ENCRYPTION_KEY, row!.secret), previous: replaced?.[0]?.secret ?? null };
};

/** A dead delivery of a test event to `webhookId`, as the retry schedule would leave it. */
async function deadDelivery(team: Team, webhookId: string) {
  const suffix = crypto.randomUUID().replaceAll("-", "").toUpperCase().slice(0, 22);
  const [eventId, deliveryId, now] = [`evt_01JD${suffix}`, `dlv_01JD${suffix}`, Date.now()];
  await env.DB.batch([
    env.DB.prepare("INSERT INTO webhook_events (id, team_id, type, data, created_at, dispatched_at) VALUES (?, ?, 'webhook.test', '{}', ?, ?)").bind(eventId, team.owner.teamId, now, now),
    env.DB.prepare(
      "INSERT INTO webhook_deliveries (id, team_id, endpoint_id, event_id, event_type, status, attempt, created_at, updated_at) VALUES (?, ?, ?, ?, 'webhook.test', 'dead', 10, ?, ?)",
    ).bind(deliveryId, team.owner.teamId, webhookId, eventId, now, now),
  ]);
  return deliveryId;
}

describe("an agent's webhook writes", () => {
  it("PATCH waits: 202, the endpoint unchanged; approved, it runs once as the agent, audited with the approval", async () => {
    const team = await newTeam();
    const endpoint = await createEndpoint(team.admin.key);
    const agent = await agentOf(team);
    const before = await endpointOf(team, endpoint.id);
    const body = { url: hookUrl(hookPath()), events: ["voucher.created"] };
    const held = await call("PATCH", `/v1/webhooks/${endpoint.id}`, { token: agent.key, body });
    expect(held.status, JSON.stringify(held.body)).toBe(202);
    expect(held.body).toEqual({ approval_id: expect.stringMatching(/^apr_/), status: "pending_approval", expires_at: expect.any(String) });
    expect(await endpointOf(team, endpoint.id)).toEqual(before);
    const stored = await call("GET", `/v1/agent-approvals/${held.body.approval_id}`, { token: agent.key });
    expect(stored.body).toMatchObject({ operation: "update_webhook", method: "PATCH", path: `/v1/webhooks/${endpoint.id}`, body, status: "pending_approval" });

    const approved = await approve(team, held.body.approval_id);
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body).toMatchObject({ status: "executed", execution_result: { status: 200, body: { id: endpoint.id, ...body } } });
    expect(await endpointOf(team, endpoint.id)).toMatchObject({ id: endpoint.id, ...body });
    expectApiError(await approve(team, held.body.approval_id), 409, "approval_not_pending");

    let run;
    for (let i = 0; i < 100 && !run; i++) {
      run = (await fullAuditLog(team.admin.key, agent.id)).find((e) => (e as { approval_id?: string }).approval_id === held.body.approval_id);
      if (!run) await sleep(50);
    }
    expect(run).toMatchObject({ method: "PATCH", path: `/v1/webhooks/${endpoint.id}`, status: 200, decided_by: team.admin.id });
  });

  it("rotate-secret waits; approved, the secret rotates, the approver is shown it once, and it is in no result the agent or an event can read", async () => {
    const team = await newTeam();
    const endpoint = await createEndpoint(team.admin.key);
    const agent = await agentOf(team);
    const held = await call("POST", `/v1/webhooks/${endpoint.id}/rotate-secret`, { token: agent.key, body: { expire_old_in_seconds: 3600 } });
    expect(held.status, JSON.stringify(held.body)).toBe(202);
    expect(held.body.status).toBe("pending_approval");
    expect(held.body.secret).toBeUndefined();
    expect(await secretsOf(endpoint.id)).toEqual({ current: endpoint.secret, previous: null });

    const approved = await approve(team, held.body.approval_id);
    expect(approved.body).toMatchObject({ status: "executed", operation: "rotate_webhook_secret", execution_result: { status: 200, body: { old_secret_expires_at: expect.any(String) } } });
    const secrets = await secretsOf(endpoint.id);
    expect(secrets.current).toMatch(/^whsec_/);
    // The approver's answer is the one place it appears: the receiver can be given the secret that now signs.
    expect(approved.body.execution_result.body.secret).toBe(secrets.current);
    expect(secrets.current).not.toBe(endpoint.secret);
    expect(secrets.previous).toBe(endpoint.secret);

    const asAgent = await call("GET", `/v1/agent-approvals/${held.body.approval_id}`, { token: agent.key });
    const kept = await env.DB.prepare("SELECT execution_result FROM agent_approvals WHERE id = ?").bind(held.body.approval_id).first<{ execution_result: string }>();
    const events = JSON.stringify(await teamEvents(team.owner.teamId));
    const asOperator = await call("GET", `/v1/agent-approvals/${held.body.approval_id}`, { token: team.admin.key });
    expect(asOperator.body.execution_result).toMatchObject({ status: 200, body: { old_secret_expires_at: expect.any(String) } });
    for (const text of [JSON.stringify(asAgent.body), JSON.stringify(asOperator.body), kept!.execution_result, events]) expect(text).not.toContain(secrets.current!.slice(6));
  });

  it("a test event and a retry of a dead delivery run at once", async () => {
    const team = await newTeam();
    const endpoint = await createEndpoint(team.admin.key);
    const agent = await agentOf(team);
    const test = await call("POST", `/v1/webhooks/${endpoint.id}/test`, { token: agent.key });
    expect(test.status, JSON.stringify(test.body)).toBe(202);
    expect(test.body).toMatchObject({ object: "event", type: "webhook.test", data: { webhook_id: endpoint.id } });
    const deliveryId = await deadDelivery(team, endpoint.id);
    const retry = await call("POST", `/v1/webhooks/${endpoint.id}/deliveries/${deliveryId}/retry`, { token: agent.key });
    expect(retry.status, JSON.stringify(retry.body)).toBe(202);
    expect(retry.body).toMatchObject({ id: deliveryId, object: "webhook_delivery", status: "pending" });
    expect(await approvals(team)).toEqual([]);
  });

  it("the team's policy decides: update set to execute runs PATCH at once; a test event set to approve waits and replays", async () => {
    const team = await newTeam();
    const put = await call("PUT", "/v1/approval-policy", { token: team.admin.key, body: { rules: { update_webhook: "execute", send_webhook_test_event: "approve" } } });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const endpoint = await createEndpoint(team.admin.key);
    const agent = await agentOf(team);
    const patched = await call("PATCH", `/v1/webhooks/${endpoint.id}`, { token: agent.key, body: { description: "By the agent" } });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body.description).toBe("By the agent");

    const held = await call("POST", `/v1/webhooks/${endpoint.id}/test`, { token: agent.key });
    expect(held.status).toBe(202);
    expect(held.body.status).toBe("pending_approval");
    const tests = async () => (await teamEvents(team.owner.teamId)).filter((e) => e.type === "webhook.test");
    expect(await tests()).toEqual([]);
    const approved = await approve(team, held.body.approval_id);
    expect(approved.body).toMatchObject({ status: "executed", execution_result: { status: 202, body: { object: "event", type: "webhook.test" } } });
    expect(await tests()).toHaveLength(1);
  });

  it("secret keys and users never wait, whatever the policy says", async () => {
    const team = await newTeam();
    const rules = { update_webhook: "approve", rotate_webhook_secret: "approve", send_webhook_test_event: "approve", retry_webhook_delivery: "approve" };
    expect((await call("PUT", "/v1/approval-policy", { token: team.admin.key, body: { rules } })).status).toBe(200);
    const endpoint = await createEndpoint(team.admin.key);
    for (const token of [team.admin.key, team.owner.accessToken]) {
      expect((await call("PATCH", `/v1/webhooks/${endpoint.id}`, { token, body: { description: "Mine" } })).status).toBe(200);
      const rotated = await call("POST", `/v1/webhooks/${endpoint.id}/rotate-secret`, { token });
      expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
      expect(rotated.body.secret).toMatch(/^whsec_/);
      expect((await call("POST", `/v1/webhooks/${endpoint.id}/test`, { token })).body.object).toBe("event");
      const deliveryId = await deadDelivery(team, endpoint.id);
      expect((await call("POST", `/v1/webhooks/${endpoint.id}/deliveries/${deliveryId}/retry`, { token })).body).toMatchObject({ id: deliveryId, status: "pending" });
    }
    expect(await approvals(team)).toEqual([]);
  });
});
