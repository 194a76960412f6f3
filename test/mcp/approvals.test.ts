// API.md §8 from the agent's side: a tool call the team's policy holds returns a normal result naming the approval;
// the approval stores the REST request it stands for; once a human approves it, it runs once, as the agent.
import { describe, expect, it } from "vitest";
import { call, createAgentKey, newTeam } from "../helpers/api";
import { callTool, connect, ERAS, ok } from "./client";

const CAMPAIGN = { name: "Agent's idea", discount: { type: "percent", percent_off: 15 } };

describe.each(ERAS)("a held tool call (%s client)", (era) => {
  it("create_campaign by an agent key under the default policy waits for approval, then runs once when approved", async () => {
    const { admin } = await newTeam();
    const agent = await createAgentKey(admin.key, { scopes: ["read:campaigns", "write:campaigns", "read:approvals"] });
    const client = await connect(agent.key, era);

    const held = await callTool(client, "create_campaign", CAMPAIGN);
    expect(held.isError).toBe(false);
    expect(held.body).toMatchObject({ status: "pending_approval" });
    expect(held.body.approval_id).toMatch(/^apr_/);
    expect(held.text).toContain(held.body.approval_id);
    expect(held.text).toContain("pending_approval");
    // Nothing changed yet.
    expect((await ok(client, "list_campaigns")).data).toEqual([]);

    // The approval holds the REST request the call stands for, as the agent sees it and as an operator does.
    const mine = await call("GET", `/v1/agent-approvals/${held.body.approval_id}`, { token: agent.key });
    expect(mine.status, JSON.stringify(mine.body)).toBe(200);
    expect(mine.body).toMatchObject({
      id: held.body.approval_id,
      status: "pending_approval",
      operation: "create_campaign",
      method: "POST",
      path: "/v1/campaigns",
      body: { name: CAMPAIGN.name, discount: CAMPAIGN.discount },
      agent_key_id: agent.id,
      expires_at: held.body.expires_at,
    });

    const approved = await call("POST", `/v1/agent-approvals/${held.body.approval_id}/approve`, { token: admin.key });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body).toMatchObject({ status: "executed", execution_result: { status: 201, body: { object: "campaign", name: CAMPAIGN.name } } });
    const created = approved.body.execution_result.body;
    expect((await ok(client, "list_campaigns")).data.map((c: { id: string }) => c.id)).toEqual([created.id]);
    expect(await ok(client, "get_campaign", { id: created.id })).toMatchObject({ id: created.id, status: "active" });
    await client.close();
  });
});

describe("held calls of every kind", () => {
  it("update_campaign and pause_campaign wait too; reads, single vouchers and redemptions do not", async () => {
    const { admin } = await newTeam();
    const campaign = (await call("POST", "/v1/campaigns", { token: admin.key, body: CAMPAIGN })).body;
    const agent = await createAgentKey(admin.key, { scopes: ["write"] });
    const client = await connect(agent.key);

    const update = await callTool(client, "update_campaign", { id: campaign.id, name: "Renamed by agent" });
    expect(update).toMatchObject({ isError: false, body: { status: "pending_approval" } });
    const pause = await callTool(client, "pause_campaign", { id: campaign.id, paused: true });
    expect(pause).toMatchObject({ isError: false, body: { status: "pending_approval" } });
    const stored = await call("GET", `/v1/agent-approvals/${pause.body.approval_id}`, { token: admin.key });
    expect(stored.body).toMatchObject({ method: "POST", path: `/v1/campaigns/${campaign.id}/pause`, body: { paused: true } });
    expect((await ok(client, "get_campaign", { id: campaign.id })).name).toBe(CAMPAIGN.name);

    const voucher = await ok(client, "create_voucher", { campaign_id: campaign.id });
    expect(voucher.code).toBeTruthy();
    const redemption = await ok(client, "redeem_voucher", { code: voucher.code, order: { id: "o-1", amount: 1000, currency: "EUR" } });
    expect(redemption.status).toBe("redeemed");
    await client.close();
  });
});
