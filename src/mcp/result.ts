// A tool call's answer is the REST answer it stands for ({status, body}, as REST would send and an idempotency key
// keeps it); this turns it into an MCP tool result. Errors are results with isError (the code and message an agent
// can act on), never a JSON-RPC error; a call held for approval is a normal result naming the approval.
import type { CallToolResult } from "@modelcontextprotocol/server";

export type RestAnswer = { status: number; body: unknown };

const REPLAYED = "vauchflow.com/idempotent_replayed";

type Approval = { approval_id: string; status: string; expires_at: string };

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
const isApproval = (body: unknown): body is Approval => isObject(body) && typeof body.approval_id === "string";

function textOf(answer: RestAnswer): string {
  const { body } = answer;
  if (answer.status === 202 && isApproval(body)) {
    return [
      `Held for human approval: approval ${body.approval_id} is ${body.status} until ${body.expires_at}. Nothing has changed yet.`,
      `A team owner or admin approves or rejects it; once approved, the request runs once, as you. Follow it with GET /v1/agent-approvals/${body.approval_id} (needs read:approvals).`,
    ].join("\n");
  }
  if (answer.status >= 400 && isObject(body)) {
    const details = Array.isArray(body.details) ? `\n${JSON.stringify(body.details)}` : "";
    return `Error ${answer.status} ${String(body.error)}: ${String(body.message)}${details}`;
  }
  return JSON.stringify(body);
}

export function toolResult(answer: RestAnswer, replayed = false): CallToolResult {
  return {
    content: [{ type: "text", text: textOf(answer) }],
    ...(isObject(answer.body) ? { structuredContent: answer.body } : {}),
    ...(answer.status >= 400 ? { isError: true } : {}),
    ...(replayed ? { _meta: { [REPLAYED]: true } } : {}),
  };
}
