// The MCP server of one request: a fresh McpServer (createMcpHandler's per-request factory) holding the tools the
// credential's scopes allow, so tools/list shows exactly those and a tool outside them is unknown to the caller.
import { McpServer } from "@modelcontextprotocol/server";
import type { Context } from "hono";
import type { AppEnv } from "../env";
import { callTool } from "./call";
import { TOOLS } from "./tools";

const INSTRUCTIONS = [
  "Vauchflow vouchers, campaigns and customers, through the same services, limits, rate limit and audit as the REST API (money is integer minor units with an ISO-4217 currency).",
  "Some writes of an agent key wait for a human (the team's approval policy; by default campaign create/update/pause and voucher creations of more than 100 codes): such a call returns a normal result naming the approval id, and nothing changes until a team owner or admin approves it.",
  "Failed calls return isError with an error code and message; retry a create with the same idempotency_key to be sure it happens once.",
].join(" ");

export function mcpServer(c: Context<AppEnv>): McpServer {
  const server = new McpServer({ name: "vauchflow", version: "1.0.0" }, { instructions: INSTRUCTIONS, capabilities: { tools: {} } });
  const { scopes } = c.get("actor");
  for (const tool of TOOLS) {
    if (!scopes.has(tool.scope)) continue;
    server.registerTool(
      tool.name,
      { title: tool.title, description: `${tool.description} Needs ${tool.scope}.`, inputSchema: tool.input, annotations: { title: tool.title, ...tool.annotations } },
      (args: unknown) => callTool(c, tool, args),
    );
  }
  return server;
}
