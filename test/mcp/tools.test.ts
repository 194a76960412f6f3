// API.md §8: every MCP tool through the SDK's own client, against the worker — the same answers as REST.
import { describe, expect, it } from "vitest";
import { call, newTeam } from "../helpers/api";
import { uniqueId } from "../helpers/guarantees";
import { flushedRead } from "../helpers/vouchers";
import { callTool, connect, ERAS, ok } from "./client";

const ORDER = { amount: 10_000, currency: "EUR" };

describe.each(ERAS)("MCP tools, %s client", (era) => {
  it("every tool of today does what its REST route does", async () => {
    const { owner, admin } = await newTeam();
    const client = await connect(admin.key, era);

    const campaign = await ok(client, "create_campaign", { name: "Spring", discount: { type: "percent", percent_off: 10 }, code_pattern: { prefix: "SPR-", length: 6 } });
    expect(campaign).toMatchObject({ object: "campaign", name: "Spring", status: "active" });
    expect(campaign.id).toMatch(/^cmp_/);

    expect((await ok(client, "list_campaigns", {})).data.map((c: any) => c.id)).toEqual([campaign.id]);
    const fetched = await ok(client, "get_campaign", { id: campaign.id });
    expect(fetched).toMatchObject({ id: campaign.id, stats: { vouchers_count: 0, redemptions_count: 0 } });

    const updated = await ok(client, "update_campaign", { id: campaign.id, name: "Spring sale", budget_cap: { amount: 50_000 } });
    expect(updated.name).toBe("Spring sale");
    expect((await ok(client, "pause_campaign", { id: campaign.id, paused: true })).status).toBe("paused");
    expect((await ok(client, "pause_campaign", { id: campaign.id, paused: false })).status).toBe("active");

    const generated = await ok(client, "create_voucher", { campaign_id: campaign.id });
    expect(generated.code).toMatch(/^SPR-[A-Z0-9]{6}$/);
    const code = `MCP-${uniqueId("v").toUpperCase().replace(/[^A-Z0-9-]/g, "")}`.slice(0, 40);
    const voucher = await ok(client, "create_voucher", { code: code.toLowerCase(), discount: { type: "amount", amount_off: 500 }, currency: "eur", redemption_limit: 5 });
    expect(voucher).toMatchObject({ object: "voucher", code, currency: "EUR", redemptions_count: 0 });

    expect(await ok(client, "get_voucher", { code: code.toLowerCase() })).toMatchObject({ id: voucher.id, code });
    const listed = await ok(client, "list_vouchers", { code_prefix: "MCP-", limit: 10 });
    expect(listed.data.map((v: any) => v.code)).toEqual([code]);
    expect((await ok(client, "list_vouchers", { campaign_id: campaign.id })).data.map((v: any) => v.code)).toEqual([generated.code]);

    const valid = await ok(client, "validate_voucher", { code, customer_id: "cus-mcp", order: ORDER });
    expect(valid).toMatchObject({ valid: true, discount_amount: 500, order: { amount: 10_000, total_amount: 9_500 } });

    const customerId = uniqueId();
    expect(await ok(client, "create_customer", { id: customerId, metadata: { tier: "gold" } })).toMatchObject({ id: customerId, object: "customer", metadata: { tier: "gold" } });

    const redemption = await ok(client, "redeem_voucher", { code, customer_id: customerId, order: { ...ORDER, id: "ord-1" } });
    expect(redemption).toMatchObject({ object: "redemption", status: "redeemed", code, discount_amount: 500, remaining_redemptions: 4 });
    // The history is D1's copy, written from the voucher's outbox just after the redemption.
    const history = await flushedRead([{ teamId: owner.teamId, code }], () => ok(client, "get_customer_redemptions", { id: customerId }), (h) => h.data.length === 1);
    expect(history.data.map((r: any) => r.id)).toEqual([redemption.id]);

    const rolledBack = await ok(client, "rollback_redemption", { code, redemption_id: redemption.id, reason: "test" });
    expect(rolledBack).toMatchObject({ id: redemption.id, status: "rolled_back" });

    // REST sees what the tools did.
    const rest = await call("GET", `/v1/vouchers/${code}`, { token: admin.key });
    expect(rest.body).toMatchObject({ id: voucher.id, redemptions_count: 0 });
    const restCampaign = await call("GET", `/v1/campaigns/${campaign.id}`, { token: admin.key });
    expect(restCampaign.body).toMatchObject({ name: "Spring sale", budget_cap: { amount: 50_000 }, status: "active" });
    await client.close();
  });

  it("a refused call is an isError result with the API's error code, never a protocol error", async () => {
    const { admin } = await newTeam();
    const client = await connect(admin.key, era);
    const missing = await callTool(client, "get_voucher", { code: "NOPE-404" });
    expect(missing.isError).toBe(true);
    expect(missing.body).toMatchObject({ error: "voucher_not_found" });
    expect(missing.body.request_id).toMatch(/^req_/);
    expect(missing.text).toContain("voucher_not_found");

    await ok(client, "create_voucher", { code: "TWICE-1", discount: { type: "percent", percent_off: 5 } });
    const duplicate = await callTool(client, "create_voucher", { code: "TWICE-1", discount: { type: "percent", percent_off: 5 } });
    expect(duplicate).toMatchObject({ isError: true, body: { error: "duplicate_code" } });

    const unsupported = await callTool(client, "update_campaign", { id: "cmp_missing", currency: "EUR" });
    expect(unsupported).toMatchObject({ isError: true, body: { error: "unsupported_field" } });

    // Arguments the schema refuses: the SDK's validation, still a tool result.
    const invalid = await callTool(client, "redeem_voucher", { code: "TWICE-1", order: { amount: -1 } });
    expect(invalid.isError).toBe(true);
    expect(invalid.text).toMatch(/order/);
    const unknownField = await callTool(client, "create_customer", { id: "x-1", nickname: "no" });
    expect(unknownField.isError).toBe(true);
    await client.close();
  });
});
