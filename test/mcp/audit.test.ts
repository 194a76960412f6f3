// Audit through MCP: one HTTP request carries one tool call, audited once under `/v1/mcp#<tool>` when it changed
// something (or was held, 202) — never for tools/list, reads or an idempotent replay.
import { describe, expect, it } from "vitest";
import { createAgentKey, createKey, newTeam } from "../helpers/api";
import { requestIdOf, uniqueId, waitForAudit } from "../helpers/guarantees";
import { callRaw, rawPost, REPLAYED } from "./client";

const key = () => `mcp-${crypto.randomUUID()}`;

describe("audit of tool calls", () => {
  it("a write is audited once as /v1/mcp#<tool>; tools/list, reads and idempotent replays are not", async () => {
    const { owner, admin } = await newTeam();
    const actor = await createKey(owner.accessToken, { name: "actor" });
    const list = await rawPost(actor.key, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }));
    const quiet = [requestIdOf({ status: list.status, body: null, headers: list.headers })];
    quiet.push((await callRaw(actor.key, "list_vouchers", {})).requestId);
    quiet.push((await callRaw(actor.key, "validate_voucher", { code: "NONE-1", order: { amount: 100 } })).requestId);
    const idem = key();
    const created = await callRaw(actor.key, "create_voucher", { code: "AUDIT-ONCE", discount: { type: "percent", percent_off: 5 }, idempotency_key: idem });
    expect(created.result.isError).toBeFalsy();
    const replay = await callRaw(actor.key, "create_voucher", { code: "AUDIT-ONCE", discount: { type: "percent", percent_off: 5 }, idempotency_key: idem });
    expect(replay.result._meta?.[REPLAYED]).toBe(true);
    quiet.push(replay.requestId);
    const customer = await callRaw(actor.key, "create_customer", { id: uniqueId() });

    const log = await waitForAudit(admin.key, actor.id, [created.requestId, customer.requestId]);
    const mine = (id: string) => log.filter((e) => e.request_id === id);
    expect(mine(created.requestId)).toEqual([expect.objectContaining({ method: "POST", path: "/v1/mcp#create_voucher", status: 201 })]);
    expect(mine(customer.requestId)).toEqual([expect.objectContaining({ method: "POST", path: "/v1/mcp#create_customer", status: 201 })]);
    for (const id of quiet) expect(mine(id)).toEqual([]);
  });

  it("the held call is audited once, as the tool, with status 202", async () => {
    const { admin } = await newTeam();
    const agent = await createAgentKey(admin.key, { scopes: ["write:campaigns"] });
    const res = await callRaw(agent.key, "create_campaign", { name: "Held", discount: { type: "percent", percent_off: 5 } });
    expect(res.result.structuredContent.status).toBe("pending_approval");
    const log = await waitForAudit(admin.key, agent.id, [res.requestId]);
    expect(log.filter((e) => e.request_id === res.requestId)).toEqual([
      expect.objectContaining({ method: "POST", path: "/v1/mcp#create_campaign", status: 202 }),
    ]);
  });

  it("a call to a tool outside the key's scopes is a denied request: audited as the tool with 403, as REST audits its 403", async () => {
    const { admin } = await newTeam();
    const agent = await createAgentKey(admin.key, { scopes: ["read:vouchers"] });
    const res = await callRaw(agent.key, "create_voucher", { code: "NOT-MINE", discount: { type: "percent", percent_off: 5 } });
    // Still unknown to the key: nothing says the tool exists, and nothing runs.
    expect(res.result?.structuredContent).toBeUndefined();
    const log = await waitForAudit(admin.key, agent.id, [res.requestId]);
    expect(log.filter((e) => e.request_id === res.requestId)).toEqual([
      expect.objectContaining({ method: "POST", path: "/v1/mcp#create_voucher", status: 403 }),
    ]);
  });
});
