// One tool call, end to end: the ServiceContext of the REST request it stands for (so an approval stores the REST
// method, path and body), the optional idempotency_key with REST's semantics, the verb, and the answer REST would
// give — kept for the key, audited as `/v1/mcp#<tool>`, and turned into a tool result. Errors never escape as
// JSON-RPC errors or stacks: an ApiError is an isError result with its code; anything else is internal_error.
import type { CallToolResult } from "@modelcontextprotocol/server";
import type { Context } from "hono";
import type { AppEnv, ServiceContext } from "../env";
import { ApiError, ApprovalQueued, errorBody, StoredAnswerReplay } from "../errors";
import { audited, recordAudit } from "../middleware/audit";
import { serviceContext } from "../routes/context";
import { type Claim, claimIdempotencyKey, credentialNamespace, type IdempotentAnswer } from "../services/idempotency";
import { OPERATIONS } from "../services/operations";
import { type RestAnswer, toolResult } from "./result";
import type { RestRequest, Tool } from "./tool";

function idempotencyKeyOf(args: unknown): string | null {
  const key = typeof args === "object" && args !== null ? (args as { idempotency_key?: unknown }).idempotency_key : undefined;
  return typeof key === "string" ? key : null;
}

function answerOf(err: unknown, requestId: string): RestAnswer {
  if (err instanceof ApprovalQueued) return { status: 202, body: err.approval };
  if (err instanceof ApiError) return { status: err.status, body: errorBody(err.code, err.message, requestId, err.details, err.extra) };
  // As onError: name and message only, never a stack or the arguments.
  const name = err instanceof Error ? err.name : typeof err;
  const message = err instanceof Error ? err.message : "non-error thrown";
  console.error(JSON.stringify({ level: "error", request_id: requestId, mcp: "tool call failed", error: name, message }));
  return { status: 500, body: errorBody("internal_error", "An internal error occurred.", requestId) };
}

function parsed(answer: IdempotentAnswer): RestAnswer {
  try {
    return { status: answer.status, body: JSON.parse(answer.body) };
  } catch {
    return { status: answer.status, body: answer.body };
  }
}

/** Reads call their verb; writes run as their agent operation, exactly as an approved request would. */
async function run(tool: Tool, ctx: ServiceContext, args: unknown, rest: RestRequest | null): Promise<RestAnswer> {
  if ("run" in tool) return { status: 200, body: await tool.run(ctx, args) };
  const operation = OPERATIONS[tool.name];
  if (!operation || !rest) throw new ApiError("unsupported_operation", `${tool.name} is not available yet.`);
  return { status: operation.status, body: await operation.run(ctx, rest.params ?? {}, rest.body as never) };
}

export async function callTool(c: Context<AppEnv>, tool: Tool, args: unknown): Promise<CallToolResult> {
  try {
    return await serve(c, tool, args);
  } catch (err) {
    // Only keeping the answer can fail here: as on REST, the caller sees internal_error (the key's lease then lapses).
    return toolResult(answerOf(err, c.get("requestId")));
  }
}

async function serve(c: Context<AppEnv>, tool: Tool, args: unknown): Promise<CallToolResult> {
  const requestId = c.get("requestId");
  const rest = "rest" in tool ? tool.rest(args) : null;
  const key = rest ? idempotencyKeyOf(args) : null;
  let claim: Claim | null = null;
  let authorizedTeam: string | null | undefined;
  let answer: RestAnswer;
  try {
    // Bound to the REST request it stands for: the same key, credential and request replay across REST and MCP.
    if (key && rest) {
      const request = { method: rest.method, path: rest.path, body: JSON.stringify(rest.body) };
      claim = await claimIdempotencyKey(c.env, credentialNamespace(c.get("actor")), key, request);
    }
    const stored = claim?.kind === "replay" ? claim.answer : undefined;
    const ctx = serviceContext(c, {
      request: rest && { method: rest.method, path: rest.path, idempotencyKey: key, body: async () => rest.body },
      storedAnswer: () => stored,
      authorized: (teamId) => {
        authorizedTeam = teamId;
      },
    });
    answer = await run(tool, ctx, args, rest);
  } catch (err) {
    // Handed out only once the verb authorized the call again, as on REST.
    if (err instanceof StoredAnswerReplay) return toolResult(parsed(err.answer), true);
    answer = answerOf(err, requestId);
  }
  if (claim?.kind === "execute") {
    // Refused before its verb authorized it, or a 5xx: not kept, so a retry is checked afresh.
    const kept = authorizedTeam !== undefined && answer.status < 500;
    await claim.complete(kept ? { status: answer.status, body: JSON.stringify(answer.body), contentType: "application/json", teamId: authorizedTeam ?? null } : null);
  }
  if (audited({ changesState: !tool.annotations.readOnlyHint, status: answer.status, dryRun: false, replayed: false })) {
    recordAudit(c, `/v1/mcp#${tool.name}`, answer.status);
  }
  return toolResult(answer);
}
