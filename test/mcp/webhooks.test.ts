// The webhook tools of API.md §8: create_webhook and delete_webhook over the same verbs as /v1/webhooks, held for
// a human when an agent key calls them under the default policy.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, createAgentKey, createKey, newTeam } from "../helpers/api";
import { hookPath, hookUrl } from "../helpers/webhooks";
import { callTool, connect, ok } from "./client";

describe("webhook tools", () => {
  it("a secret key creates an endpoint (its secret shown once) and deletes it", async () => {
    const { admin } = await newTeam();
    const client = await connect(admin.key);
    const created = await ok(client, "create_webhook", { url: hookUrl(hookPath()), events: ["voucher.created"] });
    expect(created).toMatchObject({ object: "webhook_endpoint", events: ["voucher.created"], status: "enabled" });
    expect(created.secret).toMatch(/^whsec_/);
    expect((await call("GET", `/v1/webhooks/${created.id}`, { token: admin.key })).status).toBe(200);

    const deleted = await callTool(client, "delete_webhook", { id: created.id });
    expect(deleted.isError).toBe(false);
    expect((await call("GET", `/v1/webhooks/${created.id}`, { token: admin.key })).status).toBe(404);
    // Another team's endpoint is not found.
    const other = await newTeam();
    const theirs = await call("POST", "/v1/webhooks", { token: other.admin.key, body: { url: hookUrl(hookPath()), events: ["*"] } });
    const refused = await callTool(client, "delete_webhook", { id: theirs.body.id });
    expect(refused.isError).toBe(true);
    expect(refused.body).toMatchObject({ error: "not_found" });
    await client.close();
  });

  it("an agent's create_webhook waits for approval; approved, it creates the endpoint", async () => {
    const { admin } = await newTeam();
    const agent = await createAgentKey(admin.key, { scopes: ["read:webhooks", "write:webhooks"] });
    const client = await connect(agent.key);
    const held = await callTool(client, "create_webhook", { url: hookUrl(hookPath()), events: ["*"] });
    expect(held).toMatchObject({ isError: false, body: { status: "pending_approval" } });
    expect((await call("GET", "/v1/webhooks", { token: admin.key })).body.data).toEqual([]);
    const approved = await call("POST", `/v1/agent-approvals/${held.body.approval_id}/approve`, { token: admin.key });
    expect(approved.body).toMatchObject({ status: "executed", operation: "create_webhook", execution_result: { status: 201 } });
    // The approver is shown the signing secret once; what is kept, and what the agent reads, has none.
    const secret = approved.body.execution_result.body.secret as string;
    expect(secret).toMatch(/^whsec_/);
    const read = await call("GET", `/v1/agent-approvals/${held.body.approval_id}`, { token: admin.key });
    expect(read.body.execution_result.status).toBe(201);
    const kept = await env.DB.prepare("SELECT execution_result FROM agent_approvals WHERE id = ?").bind(held.body.approval_id).first<{ execution_result: string }>();
    for (const text of [JSON.stringify(read.body), kept!.execution_result]) expect(text).not.toContain(secret);
    expect((await call("GET", "/v1/webhooks", { token: admin.key })).body.data).toHaveLength(1);
    await client.close();
  });

  it("tools/list shows the webhook tools only to credentials holding write:webhooks", async () => {
    const { owner } = await newTeam();
    const names = async (scopes: string[]) => {
      const key = await createKey(owner.accessToken, { name: "scoped", scopes });
      const client = await connect(key.key);
      const listed = (await client.listTools()).tools.map((t) => t.name);
      await client.close();
      return listed;
    };
    expect(await names(["write:webhooks"])).toEqual(expect.arrayContaining(["create_webhook", "delete_webhook"]));
    expect(await names(["read"])).not.toContain("create_webhook");
  });
});
