// API.md §3 through MCP: the creating tools take idempotency_key with Idempotency-Key's semantics — scoped to the
// credential, bound to the REST request the call stands for, replayed only after the call is authorized again.
import { describe, expect, it } from "vitest";
import { addMember, call, createAgentKey, createKey, newTeam } from "../helpers/api";
import { uniqueId } from "../helpers/guarantees";
import { callTool, connect, ok, REPLAYED } from "./client";

const key = () => `mcp-${crypto.randomUUID()}`;

describe("idempotency_key on the creating tools", () => {
  it("a retry with the same key and arguments returns the first result; nothing is created twice", async () => {
    const { admin } = await newTeam();
    const client = await connect(admin.key);
    const idem = key();
    const args = { discount: { type: "percent", percent_off: 10 }, idempotency_key: idem };
    const first = await client.callTool({ name: "create_voucher", arguments: args });
    const again = await client.callTool({ name: "create_voucher", arguments: args });
    expect(again.structuredContent).toEqual(first.structuredContent);
    expect(first._meta?.[REPLAYED]).toBeUndefined();
    expect(again._meta?.[REPLAYED]).toBe(true);
    expect((await ok(client, "list_vouchers")).data).toHaveLength(1);

    const other = await callTool(client, "create_voucher", { ...args, discount: { type: "percent", percent_off: 11 } });
    expect(other).toMatchObject({ isError: true, body: { error: "idempotency_key_mismatch" } });
    const redeem = await callTool(client, "redeem_voucher", { code: (first.structuredContent as { code: string }).code, order: { id: "o", amount: 100 }, idempotency_key: idem });
    expect(redeem).toMatchObject({ isError: true, body: { error: "idempotency_key_mismatch" } });
    await client.close();
  });

  it("redeem_voucher replays the redemption, and an error answer is kept like REST keeps it", async () => {
    const { admin } = await newTeam();
    const client = await connect(admin.key);
    await ok(client, "create_voucher", { code: "IDEM-REDEEM", discount: { type: "amount", amount_off: 100 }, currency: "EUR", redemption_limit: 1 });
    const idem = key();
    const args = { code: "IDEM-REDEEM", order: { id: "o-1", amount: 1000, currency: "EUR" }, idempotency_key: idem };
    const first = await ok(client, "redeem_voucher", args);
    expect(await ok(client, "redeem_voucher", args)).toEqual(first);
    // The same order without the key is a new attempt: refused as a duplicate, which is kept for its own key.
    const dupKey = key();
    const duplicate = await callTool(client, "redeem_voucher", { ...args, idempotency_key: dupKey });
    expect(duplicate.body).toMatchObject({ error: "duplicate_redemption" });
    expect((await callTool(client, "redeem_voucher", { ...args, idempotency_key: dupKey })).body).toEqual(duplicate.body);
    await client.close();
  });

  it("the key is the credential's, shared with REST: the same request over REST and MCP runs once", async () => {
    const { admin } = await newTeam();
    const idem = key();
    const id = uniqueId();
    const rest = await call("POST", "/v1/customers", { token: admin.key, rawBody: JSON.stringify({ id }), headers: { "Idempotency-Key": idem } });
    expect(rest.status).toBe(201);
    const client = await connect(admin.key);
    const viaMcp = await client.callTool({ name: "create_customer", arguments: { id, idempotency_key: idem } });
    expect(viaMcp.isError).toBeFalsy();
    expect(viaMcp.structuredContent).toEqual(rest.body);
    expect(viaMcp._meta?.[REPLAYED]).toBe(true);
    await client.close();
  });

  it("another credential's identical key runs afresh", async () => {
    const { owner, admin } = await newTeam();
    const other = await createKey(owner.accessToken, { name: "second admin" });
    const idem = key();
    const args = { discount: { type: "percent", percent_off: 10 }, idempotency_key: idem };
    const a = await ok(await connect(admin.key), "create_voucher", args);
    const b = await ok(await connect(other.key), "create_voucher", args);
    expect(a.id).not.toBe(b.id);
  });

  it("a replay is authorized again: a user's key reused for another of their teams is a mismatch, never the answer", async () => {
    const { owner } = await newTeam();
    const member = await addMember(owner.accessToken, owner.teamId, "developer");
    const idem = key();
    const args = { id: uniqueId(), idempotency_key: idem };
    const inTeamA = await connect(member.accessToken, "legacy", { "X-Team-Id": owner.teamId });
    expect((await callTool(inTeamA, "create_customer", args)).isError).toBe(false);
    const inOwnTeam = await connect(member.accessToken, "legacy", { "X-Team-Id": member.teamId });
    const crossed = await callTool(inOwnTeam, "create_customer", args);
    expect(crossed).toMatchObject({ isError: true, body: { error: "idempotency_key_mismatch" } });
    // The first team's retry still replays.
    const again = await inTeamA.callTool({ name: "create_customer", arguments: args });
    expect(again._meta?.[REPLAYED]).toBe(true);
  });

  it("a held call with a key is held once: the retry names the same approval", async () => {
    const { admin } = await newTeam();
    const agent = await createAgentKey(admin.key, { scopes: ["write:campaigns", "read:approvals"] });
    const client = await connect(agent.key);
    const args = { name: "Held once", discount: { type: "percent", percent_off: 5 }, idempotency_key: key() };
    const first = await callTool(client, "create_campaign", args);
    const again = await callTool(client, "create_campaign", args);
    expect(first.body.approval_id).toMatch(/^apr_/);
    expect(again.body).toEqual(first.body);
    const pending = await call("GET", "/v1/agent-approvals?status=pending_approval", { token: admin.key });
    expect(pending.body.data.map((a: { id: string }) => a.id)).toEqual([first.body.approval_id]);
    expect(pending.body.data[0]).toMatchObject({ path: "/v1/campaigns", method: "POST" });
    await client.close();
  });
});
