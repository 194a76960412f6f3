// /v1/mcp at the HTTP edge: authenticated like REST, publishable keys refused, one JSON-RPC message per request,
// and no malformed input — however broken — ever answered with a 5xx.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type Answer, createKey, newTeam } from "../helpers/api";
import { expectApiError } from "../helpers/security";
import { callRaw, jsonRpcOf, MCP_URL, rawPost } from "./client";

const answerOf = async (res: Response): Promise<Answer> => ({ status: res.status, body: await res.json(), headers: res.headers });
const toolsList = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" });

describe("who may call /v1/mcp", () => {
  it("no key or an invented key → 401, in the API's error shape", async () => {
    const res = await exports.default.fetch(new Request(MCP_URL, { method: "POST", body: toolsList, headers: { "Content-Type": "application/json", Accept: "application/json, text/event-stream" } }));
    expectApiError(await answerOf(res), 401, "invalid_api_key");
    expectApiError(await answerOf(await rawPost("vf_sk_test_invented", toolsList)), 401, "invalid_api_key");
  });

  it("a publishable key → 403 key_type_not_allowed, even from its allowed origin", async () => {
    const { owner } = await newTeam();
    const origin = "https://shop.example";
    const pk = await createKey(owner.accessToken, { type: "publishable", allowed_origins: [origin] });
    expectApiError(await answerOf(await rawPost(pk.key, toolsList, { Origin: origin })), 403, "key_type_not_allowed");
    expectApiError(await answerOf(await rawPost(pk.key, toolsList)), 403, "key_type_not_allowed");
  });

  it("Authorization: Bearer works as well as X-API-Key, and the answer carries the rate-limit headers", async () => {
    const { admin } = await newTeam();
    const res = await exports.default.fetch(
      new Request(MCP_URL, { method: "POST", body: toolsList, headers: { "Content-Type": "application/json", Accept: "application/json, text/event-stream", Authorization: `Bearer ${admin.key}` } }),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("RateLimit-Policy")).toMatch(/^"default";q=\d+;w=60$/);
    expect(res.headers.get("Request-Id")).toMatch(/^req_/);
    expect((await jsonRpcOf(res)).result.tools.length).toBeGreaterThan(0);
  });
});

describe("rate limit", () => {
  it("one HTTP request is one admission against the key's rate limit; over it → 429 in the API's shape", async () => {
    const { owner } = await newTeam();
    const limited = await createKey(owner.accessToken, { name: "limited", rate_limit_per_minute: 3 });
    for (let i = 0; i < 3; i++) expect((await callRaw(limited.key, "list_vouchers", {})).result.isError).toBeFalsy();
    const over = await rawPost(limited.key, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "list_vouchers", arguments: {} } }));
    expect(over.status).toBe(429);
    expect(over.headers.get("Retry-After")).toMatch(/^\d+$/);
    expect(await over.json()).toMatchObject({ error: "rate_limit_exceeded" });
  });
});

describe("protocol eras", () => {
  it("a 2025-06-18 initialize is answered statelessly, and so is a tools/call without one", async () => {
    const { admin } = await newTeam();
    const init = await rawPost(
      admin.key,
      JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "0" } } }),
    );
    expect(init.status).toBe(200);
    const message = await jsonRpcOf(init);
    expect(message.result).toMatchObject({ protocolVersion: "2025-06-18", serverInfo: { name: "vauchflow" }, capabilities: { tools: {} } });
    expect(message.result.instructions).toContain("approval");
    const callRes = await rawPost(admin.key, JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/call", params: { name: "get_voucher", arguments: { code: "NONE-1" } } }));
    expect((await jsonRpcOf(callRes)).result).toMatchObject({ isError: true, structuredContent: { error: "voucher_not_found" } });
    const notification = await rawPost(admin.key, JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }));
    expect(notification.status).toBe(202);
  });

  it("GET and DELETE (2025 session operations) → 405: there are no sessions", async () => {
    const { admin } = await newTeam();
    for (const method of ["GET", "DELETE"]) {
      const res = await exports.default.fetch(new Request(MCP_URL, { method, headers: { "X-API-Key": admin.key, Accept: "text/event-stream" } }));
      expect(res.status, method).toBe(405);
    }
  });
});

describe("malformed JSON-RPC never yields 5xx", () => {
  const cases: [string, string][] = [
    ["invalid JSON", "{nope"],
    ["an empty body", ""],
    ["JSON that is not an object", '"tools/list"'],
    ["null", "null"],
    ["the wrong jsonrpc version", JSON.stringify({ jsonrpc: "1.0", id: 1, method: "tools/list" })],
    ["no method", JSON.stringify({ jsonrpc: "2.0", id: 1 })],
    ["an unknown method", JSON.stringify({ jsonrpc: "2.0", id: 1, method: "vouchers/steal" })],
    ["params of the wrong type", JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: 42, arguments: "x" } })],
    ["arguments of the wrong type", JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "redeem_voucher", arguments: { code: 7, order: "big" } } })],
    ["an unknown tool", JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "drop_tables", arguments: {} } })],
    ["an id of the wrong type", JSON.stringify({ jsonrpc: "2.0", id: { a: 1 }, method: "tools/list" })],
    ["a garbage batch", JSON.stringify([1, "two", { three: 3 }])],
    ["an empty batch", "[]"],
    ["a batch of valid calls", JSON.stringify([{ jsonrpc: "2.0", id: 1, method: "tools/list" }, { jsonrpc: "2.0", id: 2, method: "tools/list" }])],
    ["deep nesting", `${"[".repeat(5000)}${"]".repeat(5000)}`],
    ["a deep object argument", JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "create_customer", arguments: JSON.parse(`${'{"a":'.repeat(2000)}1${"}".repeat(2000)}`) } })],
  ];

  it.each(cases)("%s → 4xx or a JSON-RPC error", async (_name, body) => {
    const { admin } = await newTeam();
    const res = await rawPost(admin.key, body);
    expect(res.status).toBeLessThan(500);
    if (res.status >= 400) return;
    const message = await jsonRpcOf(res);
    expect(message.error ?? message.result?.isError, JSON.stringify(message)).toBeTruthy();
  });

  it("a batch is refused with a JSON-RPC error: one call per request, one admission, one audit entry", async () => {
    const { admin } = await newTeam();
    const res = await rawPost(admin.key, ` ${JSON.stringify([{ jsonrpc: "2.0", id: 1, method: "tools/list" }])}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32600 } });
  });

  it("a body over 1 MiB → 413 payload_too_large", async () => {
    const { admin } = await newTeam();
    const huge = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "create_customer", arguments: { id: "x", metadata: { a: "b".repeat(1_100_000) } } } });
    expectApiError(await answerOf(await rawPost(admin.key, huge)), 413, "payload_too_large");
  });

  it("a wrong Content-Type or Accept → 4xx", async () => {
    const { admin } = await newTeam();
    expect((await rawPost(admin.key, toolsList, { "Content-Type": "text/plain" })).status).toBeGreaterThanOrEqual(400);
    const noAccept = await rawPost(admin.key, toolsList, { Accept: "text/html" });
    expect(noAccept.status).toBeLessThan(500);
  });

  it("Idempotency-Key on /v1/mcp → 400 invalid_header: the tools take idempotency_key as an argument", async () => {
    const { admin } = await newTeam();
    const res = await answerOf(await rawPost(admin.key, toolsList, { "Idempotency-Key": "k-1" }));
    expectApiError(res, 400, "invalid_header");
    expect(res.body.message).toContain("idempotency_key");
  });

  it("Vauchflow-Dry-Run: true → 400 dry_run_not_supported", async () => {
    const { admin } = await newTeam();
    expectApiError(await answerOf(await rawPost(admin.key, toolsList, { "Vauchflow-Dry-Run": "true" })), 400, "dry_run_not_supported");
  });
});
