// API.md §10 through MCP: an agent holds a code, reads the hold, and redeems or releases it with the same verbs as
// REST; the default approval policy runs these at once, like redeem.
import { describe, expect, it } from "vitest";
import { call, createAgentKey, newTeam } from "../helpers/api";
import { callTool, connect, ok } from "./client";

describe("reservation tools", () => {
  it("an agent reserves, reads, redeems by reservation; a second hold is released; a released one is not held", async () => {
    const { owner, admin } = await newTeam();
    await call("POST", "/v1/vouchers", { token: admin.key, body: { code: "MCP-HOLD", discount: { type: "amount", amount_off: 250 }, currency: "EUR", redemption_limit: 2 } });
    const agent = await createAgentKey(owner.accessToken, { scopes: ["read:vouchers", "redeem:vouchers"] });
    const client = await connect(agent.key);
    const held = await ok(client, "reserve_voucher", { code: "mcp-hold", customer_id: "cus-9", order: { id: "o-1", amount: 4000, currency: "EUR" }, ttl_seconds: 60 });
    expect(held).toMatchObject({ object: "reservation", status: "held", discount_amount: 250, customer_id: "cus-9" });
    expect(await ok(client, "get_reservation", { code: "MCP-HOLD", id: held.id })).toEqual(held);
    const redemption = await ok(client, "redeem_voucher", { code: "MCP-HOLD", reservation_id: held.id });
    expect(redemption).toMatchObject({ object: "redemption", discount_amount: 250, customer_id: "cus-9", order: { id: "o-1" } });

    const second = await ok(client, "reserve_voucher", { code: "MCP-HOLD", order: { id: "o-2", amount: 4000, currency: "EUR" } });
    // The limit of 2 is spent by one redemption and one hold.
    expect(await callTool(client, "reserve_voucher", { code: "MCP-HOLD", order: { id: "o-3", amount: 4000 } })).toMatchObject({
      isError: true,
      body: { error: "redemption_limit_reached" },
    });
    await ok(client, "release_reservation", { code: "MCP-HOLD", id: second.id });
    expect(await callTool(client, "release_reservation", { code: "MCP-HOLD", id: second.id })).toMatchObject({
      isError: true,
      body: { error: "reservation_not_held", reservation_status: "released" },
    });
    expect(await ok(client, "get_reservation", { code: "MCP-HOLD", id: second.id })).toMatchObject({ status: "released" });
    await client.close();
  });
});
