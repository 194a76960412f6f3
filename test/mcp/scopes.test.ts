// API.md §8: tools/list shows only what the credential's scopes allow, each tool with its JSON Schema and
// annotations that match what it does; a tool outside the credential's scopes cannot be called.
import { describe, expect, it } from "vitest";
import { addMember, createAgentKey, createKey, newTeam } from "../helpers/api";
import { callTool, connect, ERAS } from "./client";

const READS = ["get_analytics_overview", "get_customer_redemptions", "get_campaign", "get_voucher", "list_campaigns", "list_vouchers"];
const ALL_TODAY = [
  ...READS,
  "create_campaign",
  "create_customer",
  "create_voucher",
  "create_webhook",
  "delete_webhook",
  "pause_campaign",
  "redeem_voucher",
  "reserve_voucher",
  "get_reservation",
  "release_reservation",
  "rollback_redemption",
  "update_campaign",
  "validate_voucher",
].sort();

const names = async (key: string, era: "legacy" | "modern" = "legacy", headers: Record<string, string> = {}) => {
  const client = await connect(key, era, headers);
  const { tools } = await client.listTools();
  await client.close();
  return tools;
};

describe("tools/list follows the credential's scopes", () => {
  it.each(ERAS)("an admin key sees every tool of today (%s client)", async (era) => {
    const { admin } = await newTeam();
    expect((await names(admin.key, era)).map((t) => t.name).sort()).toEqual(ALL_TODAY);
  });

  it("a read-only key sees only the read tools", async () => {
    const { owner } = await newTeam();
    const readOnly = await createKey(owner.accessToken, { name: "read only", scopes: ["read"] });
    expect((await names(readOnly.key)).map((t) => t.name).sort()).toEqual(READS.sort());
  });

  it("an agent key with read:vouchers and redeem:vouchers sees exactly those tools", async () => {
    const { admin } = await newTeam();
    const agent = await createAgentKey(admin.key, { scopes: ["read:vouchers", "redeem:vouchers"] });
    expect((await names(agent.key)).map((t) => t.name).sort()).toEqual([
      "get_reservation",
      "get_voucher",
      "list_vouchers",
      "redeem_voucher",
      "release_reservation",
      "reserve_voucher",
      "rollback_redemption",
    ]);
  });

  it("a key holding none of the tools' scopes lists none", async () => {
    const { owner } = await newTeam();
    const keysOnly = await createKey(owner.accessToken, { name: "keys only", scopes: ["read:api_keys"] });
    expect(await names(keysOnly.key)).toEqual([]);
  });

  it("a dashboard user sees what their role allows: an owner everything, a viewer only reads", async () => {
    const { owner } = await newTeam();
    expect((await names(owner.accessToken)).map((t) => t.name).sort()).toEqual(ALL_TODAY);
    const viewer = await addMember(owner.accessToken, owner.teamId, "viewer");
    expect((await names(viewer.accessToken, "legacy", { "X-Team-Id": owner.teamId })).map((t) => t.name).sort()).toEqual(READS.sort());
  });

  it("a tool outside the key's scopes is unknown to it: nothing runs", async () => {
    const { admin } = await newTeam();
    const agent = await createAgentKey(admin.key, { scopes: ["read:vouchers"] });
    const client = await connect(agent.key);
    const refused = await client.callTool({ name: "create_voucher", arguments: { code: "NOT-MINE", discount: { type: "percent", percent_off: 5 } } }).then(
      (result) => ({ isError: result.isError === true, text: JSON.stringify(result) }),
      (err: Error) => ({ isError: true, text: err.message }),
    );
    expect(refused.isError).toBe(true);
    expect((await callTool(client, "get_voucher", { code: "NOT-MINE" })).body).toMatchObject({ error: "voucher_not_found" });
    await client.close();
  });
});

describe("each tool carries its schema and annotations", () => {
  it("reads are read-only; writes say whether they destroy and whether a repeat changes more", async () => {
    const { admin } = await newTeam();
    const tools = Object.fromEntries((await names(admin.key)).map((t) => [t.name, t]));
    for (const name of [...READS, "validate_voucher", "get_reservation"]) expect(tools[name]?.annotations?.readOnlyHint, name).toBe(true);
    expect(tools.create_voucher?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: false, idempotentHint: false });
    expect(tools.create_campaign?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: false, idempotentHint: false });
    expect(tools.create_customer?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: false, idempotentHint: true });
    expect(tools.update_campaign?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true, idempotentHint: true });
    expect(tools.pause_campaign?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true, idempotentHint: true });
    expect(tools.redeem_voucher?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true, idempotentHint: true });
    expect(tools.rollback_redemption?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true, idempotentHint: true });
    expect(tools.reserve_voucher?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: false, idempotentHint: false });
    expect(tools.release_reservation?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true, idempotentHint: true });

    // The route's own schema: strict objects, the path parameter beside the body, idempotency_key on creates.
    const redeem = tools.redeem_voucher!.inputSchema as any;
    expect(redeem).toMatchObject({ type: "object", additionalProperties: false });
    // order is required unless reservation_id names a held reservation (checked by the same refinement as REST).
    expect(redeem.required.sort()).toEqual(["code"]);
    expect(Object.keys(redeem.properties).sort()).toEqual(["amount", "code", "customer_id", "idempotency_key", "order", "reservation_id"]);
    expect(redeem.properties.order.required).toContain("amount");
    const create = tools.create_voucher!.inputSchema as any;
    expect(create.properties.discount.oneOf ?? create.properties.discount.anyOf).toHaveLength(3);
    expect(create.properties.idempotency_key).toMatchObject({ type: "string" });
    expect(tools.get_voucher!.inputSchema).toMatchObject({ required: ["code"], additionalProperties: false });
    expect(Object.keys((tools.list_vouchers!.inputSchema as any).properties)).not.toContain("format");
    expect(tools.get_voucher!.description).toContain("read:vouchers");
  });
});
