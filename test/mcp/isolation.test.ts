// Tenant isolation through MCP: another team's voucher, campaign or customer does not exist for the caller.
import { describe, expect, it } from "vitest";
import { call, newTeam } from "../helpers/api";
import { uniqueId } from "../helpers/guarantees";
import { callTool, connect } from "./client";

describe("another team's resources are not found", () => {
  it("vouchers, campaigns and customers of team A are unknown to team B's tools, and nothing of A changes", async () => {
    const a = await newTeam();
    const b = await newTeam();
    const code = "SHARED-CODE-1";
    const voucher = await call("POST", "/v1/vouchers", { token: a.admin.key, body: { code, discount: { type: "percent", percent_off: 50 } } });
    expect(voucher.status).toBe(201);
    const campaign = (await call("POST", "/v1/campaigns", { token: a.admin.key, body: { name: "A only", discount: { type: "percent", percent_off: 5 } } })).body;
    const customerId = uniqueId();
    expect((await call("POST", "/v1/customers", { token: a.admin.key, body: { id: customerId } })).status).toBe(201);

    const client = await connect(b.admin.key);
    const order = { id: "o-b", amount: 1000, currency: "EUR" };
    expect((await callTool(client, "get_voucher", { code })).body).toMatchObject({ error: "voucher_not_found" });
    expect((await callTool(client, "validate_voucher", { code, order })).body).toMatchObject({ error: "voucher_not_found" });
    expect((await callTool(client, "redeem_voucher", { code, order })).body).toMatchObject({ error: "voucher_not_found" });
    expect((await callTool(client, "get_campaign", { id: campaign.id })).body).toMatchObject({ error: "not_found" });
    expect((await callTool(client, "update_campaign", { id: campaign.id, name: "hijacked" })).body).toMatchObject({ error: "not_found" });
    expect((await callTool(client, "pause_campaign", { id: campaign.id, paused: true })).body).toMatchObject({ error: "not_found" });
    expect((await callTool(client, "create_voucher", { campaign_id: campaign.id })).body).toMatchObject({ error: "not_found" });
    expect((await callTool(client, "get_customer_redemptions", { id: customerId })).body).toMatchObject({ error: "not_found" });
    const lists = [await callTool(client, "list_vouchers", {}), await callTool(client, "list_campaigns", {})];
    for (const list of lists) expect(list.body.data).toEqual([]);

    // B may hold the same code: codes are unique within a team only.
    expect((await callTool(client, "create_voucher", { code, discount: { type: "percent", percent_off: 1 } })).isError).toBe(false);
    const untouched = await call("GET", `/v1/campaigns/${campaign.id}`, { token: a.admin.key });
    expect(untouched.body).toMatchObject({ name: "A only", status: "active" });
    expect((await call("GET", `/v1/vouchers/${code}`, { token: a.admin.key })).body).toMatchObject({ id: voucher.body.id, redemptions_count: 0 });
    await client.close();
  });
});
