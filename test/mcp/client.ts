// MCP tests go through the SDK's own client (Client + StreamableHTTPClientTransport), whose fetch calls the
// worker in-process, so every call crosses authentication, the rate limit, audit and the MCP handler as in production.
import { exports } from "cloudflare:workers";
import { type CallToolResult, Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";

export const MCP_URL = "https://api.vauchflow.test/v1/mcp";

/** The `_meta` key of a result that is an idempotent replay. */
export const REPLAYED = "vauchflow.com/idempotent_replayed";

/** `legacy`: a 2025-era client (initialize); `modern`: pinned to the 2026-07-28 protocol. */
export type Era = "legacy" | "modern";
export const ERAS: Era[] = ["legacy", "modern"];

export async function connect(key: string, era: Era = "legacy", headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: "vauchflow-tests", version: "1.0.0" }, { versionNegotiation: { mode: era === "modern" ? { pin: "2026-07-28" } : "legacy" } });
  const transport = new StreamableHTTPClientTransport(new URL(MCP_URL), {
    fetch: (url, init) => exports.default.fetch(new Request(url, init)),
    requestInit: { headers: { "X-API-Key": key, ...headers } },
  });
  await client.connect(transport);
  return client;
}

export type ToolAnswer = { isError: boolean; text: string; body: any };

/** Calls a tool and returns its result: isError, the text an agent reads, and the structured body. */
export async function callTool(client: Client, name: string, args: Record<string, unknown> = {}): Promise<ToolAnswer> {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  const text = result.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");
  return { isError: result.isError === true, text, body: result.structuredContent ?? null };
}

/** A tool call that must succeed: its structured body. */
export async function ok(client: Client, name: string, args: Record<string, unknown> = {}): Promise<any> {
  const answer = await callTool(client, name, args);
  if (answer.isError) throw new Error(`${name} failed: ${answer.text}`);
  return answer.body;
}

/** One raw JSON-RPC POST, for what the SDK's client would never send. */
export function rawPost(key: string, body: string, headers: Record<string, string> = {}) {
  return exports.default.fetch(
    new Request(MCP_URL, {
      method: "POST",
      body,
      headers: { "Content-Type": "application/json", Accept: "application/json, text/event-stream", "X-API-Key": key, ...headers },
    }),
  );
}

/** The JSON-RPC message in a response, whether sent as JSON or as one SSE `message` event. */
export async function jsonRpcOf(res: Response): Promise<any> {
  const text = await res.text();
  if (!res.headers.get("Content-Type")?.includes("text/event-stream")) return JSON.parse(text);
  const data = text.split("\n").find((line) => line.startsWith("data: "));
  return data ? JSON.parse(data.slice("data: ".length)) : null;
}

/** One tools/call over raw HTTP, for the request id its audit entry carries. */
export async function callRaw(key: string, name: string, args: Record<string, unknown>) {
  const res = await rawPost(key, JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name, arguments: args } }));
  if (res.status !== 200) throw new Error(`tools/call ${name}: HTTP ${res.status} ${await res.text()}`);
  const requestId = res.headers.get("Request-Id") ?? "";
  return { requestId, result: (await jsonRpcOf(res)).result };
}
