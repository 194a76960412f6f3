// POST /v1/mcp: the MCP server over Streamable HTTP, on the official SDK's createMcpHandler (stateless: the
// 2026-07-28 protocol and 2025-era clients alike). Everything in front of it is the API's own: agent context,
// audit, authentication with the rate limit (one admission per HTTP request), the publishable-key gate (403).
import type { Context } from "hono";
import { createMcpHandler } from "@modelcontextprotocol/server";
import type { AppEnv } from "../env";
import { BEARER, createRouter, defineRoute, errorResponses } from "../routes/openapi";
import { recordAudit } from "../middleware/audit";
import { mcpServer } from "./server";
import { TOOLS } from "./tools";

// Plain JSON Schemas, not zod: the SDK answers malformed JSON-RPC itself, with JSON-RPC errors.
const OBJECT = "object" as const;
const STRING = "string" as const;
const JSON_RPC_ID = { type: [STRING, "number" as const, "null" as const] };

const JSON_RPC_MESSAGE = {
  type: OBJECT,
  description: "One JSON-RPC 2.0 message (batches are refused).",
  properties: { jsonrpc: { type: STRING, enum: ["2.0"] }, id: JSON_RPC_ID, method: { type: STRING }, params: { type: OBJECT } },
  required: ["jsonrpc", "method"],
};

const errors = errorResponses(["key_type_not_allowed", "rate_limit_exceeded"]);
const badRequest = errors[400];

const route = defineRoute({
  method: "post",
  path: "/",
  operationId: "mcp",
  tags: ["Agents"],
  summary: "MCP server (Streamable HTTP)",
  description: [
    "A stateless Model Context Protocol server: the 2026-07-28 protocol and 2025-era clients (`initialize` is answered per request; there are no sessions, so GET and DELETE answer 405). Authenticate like REST (`X-API-Key` by convention, or `Authorization: Bearer`); publishable keys → 403.",
    "`tools/list` shows only the tools the credential's scopes allow, each with its JSON Schema, the scope it needs and annotations. Every tool calls the same service as its REST route: limits, approval policy, rate limit (one per HTTP request) and audit (`/v1/mcp#<tool>` for a call that changed something or was denied) are the same.",
    "A call the team's approval policy holds returns a normal result naming the approval id. Failures are results with `isError` and the API's error code. Writes that create something take an optional `idempotency_key` argument with the semantics of `Idempotency-Key` (which is refused on this endpoint).",
  ].join("\n\n"),
  security: BEARER,
  changesState: false,
  idempotencyKey: false,
  request: { body: { required: true, content: { "application/json": { schema: JSON_RPC_MESSAGE } } } },
  responses: {
    ...errors,
    200: {
      description: "The JSON-RPC response: `application/json`, or one `message` event on `text/event-stream` (2025-era clients, streamed results)",
      content: { "application/json": { schema: { type: OBJECT } }, "text/event-stream": { schema: { type: STRING } } },
    },
    202: { description: "A notification, accepted" },
    ...(badRequest ? { 400: { ...badRequest, description: `${badRequest.description}. Malformed JSON-RPC (invalid JSON, not JSON-RPC 2.0, a batch) is answered with a JSON-RPC error object instead: {jsonrpc: "2.0", id, error: {code, message}}` } } : {}),
  },
});

const BATCH = -32600;

/** The tool a tools/call names, if the message is one. */
function calledTool(text: string): string | null {
  try {
    const message = JSON.parse(text) as { method?: unknown; params?: { name?: unknown } };
    return message?.method === "tools/call" && typeof message.params?.name === "string" ? message.params.name : null;
  } catch {
    return null;
  }
}

async function serve(c: Context<AppEnv>): Promise<Response> {
  if (c.req.method === "POST") {
    const text = await c.req.raw.clone().text();
    // One tool call per request: a batch would let one admission and one audit entry cover many calls.
    if (text.trimStart().startsWith("[")) {
      return c.json({ jsonrpc: "2.0", id: null, error: { code: BATCH, message: "JSON-RPC batches are not supported: send one message per request." } }, 400);
    }
    // A tool outside the credential's scopes stays unknown to it (the SDK answers so), but the call is a denied
    // request, audited as REST audits its 403 insufficient_scope.
    const name = calledTool(text);
    const tool = name === null ? undefined : TOOLS.find((t) => t.name === name);
    if (tool && !c.get("actor").scopes.has(tool.scope)) recordAudit(c, `/v1/mcp#${tool.name}`, 403);
  }
  // The app's body limit (1 MiB, 413) already ran; the SDK's own (4 MiB) never binds.
  const handler = createMcpHandler(() => mcpServer(c), {
    onerror: (err) => console.warn(JSON.stringify({ level: "warn", request_id: c.get("requestId"), mcp: err.name, message: err.message })),
  });
  const res = await handler.fetch(c.req.raw);
  // Through the context, so the headers set in front (RateLimit, CORS refusals) reach the answer.
  return c.newResponse(res.body, res);
}

export const mcpRoutes = createRouter()
  .openapi(route, serve)
  // Any other method goes to the SDK too: stateless, it answers 405 to the 2025 session stream (GET) and end (DELETE).
  .all("/", serve);
