// Agent approvals (API.md §8): an agent key's write that the team's policy holds is stored whole and answered
// 202; an operator lists and reads them; a secret key or an owner/admin approves (the request runs once, as the
// agent, through the same verb) or rejects; a scheduled sweep expires what nobody decided in time.
import { and, desc, eq, lt } from "drizzle-orm";
import { database, schema, statementOf } from "../db/client";
import { type AgentOperation, decide } from "../domain/approval-policy";
import { newEvent } from "../domain/webhook-events";
import { defaultRateLimit } from "../domain/scopes";
import type { Actor, AgentAction, ServiceContext } from "../env";
import { ApiError, ApprovalQueued, errorBody } from "../errors";
import { newId } from "../lib/ids";
import { page } from "../lib/pagination";
import { iso } from "../lib/time";
import { enqueueAuditEntries } from "../queues/audit";
import { keyActorOf, requireKeyType, requireScope, requireTeam } from "./access";
import { keptResult, OPERATIONS } from "./operations";
import { teamPolicy } from "./approval-policies";
import { expireApprovals } from "./approval-sweeps";
import { dispatchAfterResponse, eventStatements } from "./webhook-outbox";

type ApprovalRow = typeof schema.agentApprovals.$inferSelect;
export type ApprovalStatus = ApprovalRow["status"];

export function renderApproval(row: ApprovalRow) {
  return {
    id: row.id,
    object: "agent_approval" as const,
    status: row.status,
    operation: row.operation as AgentOperation,
    method: row.method,
    path: row.path,
    body: row.body ?? null,
    agent_key_id: row.agentKeyId,
    agent_context: row.agentContext ?? null,
    created_at: iso(row.createdAt),
    expires_at: iso(row.expiresAt),
    decided_by: row.decidedBy,
    decided_at: iso(row.decidedAt),
    reason: row.reason,
    execution_result: row.executionResult ?? null,
  };
}

/** Called by ctx.authorize: an agent key's action the policy holds is stored and answered 202 (ApprovalQueued). */
export async function holdForApproval(ctx: ServiceContext, teamId: string, action: AgentAction): Promise<void> {
  const { actor } = ctx;
  if (actor.kind !== "api_key" || actor.keyType !== "agent" || ctx.approval || ctx.dryRun) return;
  const policy = await teamPolicy(ctx.env, teamId);
  if (decide(policy, action.operation, action.codes) === "execute") return;
  if (!OPERATIONS[action.operation]) throw new ApiError("unsupported_operation", `${action.operation} cannot be held for approval.`);
  const now = Date.now();
  const row: ApprovalRow = {
    id: newId("apr"),
    teamId,
    status: "pending_approval",
    operation: action.operation,
    method: ctx.request?.method ?? "POST",
    path: ctx.request?.path ?? "",
    body: (await ctx.request?.body()) ?? action.input ?? null,
    params: action.params ?? {},
    input: action.input ?? null,
    idempotencyKey: ctx.request?.idempotencyKey ?? null,
    agentKeyId: actor.keyId,
    agentContext: ctx.agentContext,
    createdAt: now,
    // Whole seconds, as shown: the approval expires exactly when it says it does.
    expiresAt: Math.floor((now + policy.ttlSeconds * 1000) / 1000) * 1000,
    decidedBy: null,
    decidedAt: null,
    reason: null,
    executionResult: null,
  };
  const event = newEvent(teamId, "agent.action.pending_approval", renderApproval(row), { now });
  await ctx.env.DB.batch([statementOf(ctx.env.DB, database(ctx.env.DB).insert(schema.agentApprovals).values(row)), ...eventStatements(ctx.env.DB, [event])]);
  dispatchAfterResponse(ctx, [event]);
  throw new ApprovalQueued({ approval_id: row.id, status: "pending_approval", expires_at: iso(row.expiresAt) });
}

/** Operators: secret keys with read:approvals, owner/admin/developer users. Agents read only their own. */
function requireOperator(actor: Actor) {
  requireKeyType(actor, ["secret"]);
  requireScope(actor, "read:approvals");
  if (actor.kind === "user" && actor.role === "viewer") {
    throw new ApiError("insufficient_role", "Approvals are for owners, admins and developers.");
  }
}

/** Deciders: secret keys with write:approvals, owner/admin users (developers lack write:approvals). */
function requireDecider(actor: Actor) {
  requireKeyType(actor, ["secret"]);
  requireScope(actor, "write:approvals");
}

const decider = (actor: Actor) => (actor.kind === "api_key" ? actor.keyId : actor.userId);

/** Whether a row reads `pending_approval` past its expiry: the minute's sweep has not reached it yet. */
const lapsed = (rows: ApprovalRow[], now = Date.now()) => rows.some((r) => r.status === "pending_approval" && r.expiresAt <= now);

/** Runs the expiry sweep now (its status change and agent.action.expired event), so a read never shows a lapsed approval as pending. */
async function expireLapsed(ctx: ServiceContext) {
  dispatchAfterResponse(ctx, (await expireApprovals(ctx.env)).events);
}

export async function listApprovals(ctx: ServiceContext, query: { status?: ApprovalStatus; limit: number; cursor?: string }) {
  requireOperator(ctx.actor);
  const teamId = requireTeam(ctx.actor);
  const t = schema.agentApprovals;
  const read = () =>
    database(ctx.env.DB)
      .select()
      .from(t)
      .where(and(eq(t.teamId, teamId), query.status ? eq(t.status, query.status) : undefined, query.cursor ? lt(t.id, query.cursor) : undefined))
      .orderBy(desc(t.id))
      .limit(query.limit + 1);
  let rows = await read();
  if (lapsed(rows)) {
    await expireLapsed(ctx);
    rows = await read();
  }
  return page(rows, query.limit, renderApproval);
}

async function findApproval(ctx: ServiceContext, teamId: string, id: string): Promise<ApprovalRow> {
  const t = schema.agentApprovals;
  const read = () => database(ctx.env.DB).select().from(t).where(and(eq(t.id, id), eq(t.teamId, teamId))).get();
  let row = await read();
  if (row && lapsed([row])) {
    await expireLapsed(ctx);
    row = await read();
  }
  if (!row) throw new ApiError("not_found", "No approval with this id.");
  return row;
}

export async function getApproval(ctx: ServiceContext, id: string) {
  const { actor } = ctx;
  const teamId = requireTeam(actor);
  if (actor.kind === "api_key" && actor.keyType === "agent") {
    requireScope(actor, "read:approvals");
    const row = await findApproval(ctx, teamId, id);
    // Another agent's approval does not exist for this one.
    if (row.agentKeyId !== actor.keyId) throw new ApiError("not_found", "No approval with this id.");
    return renderApproval(row);
  }
  requireOperator(actor);
  return renderApproval(await findApproval(ctx, teamId, id));
}

/**
 * Moves a pending, unexpired approval to `to`, with its webhook event in the same transaction; null when another
 * decision (or the clock) got there first. The event is guarded on the very state the update changes.
 */
async function claim(ctx: ServiceContext, teamId: string, id: string, to: "approved" | "rejected", reason: string | null): Promise<ApprovalRow | null> {
  const now = Date.now();
  const row = await findApproval(ctx, teamId, id);
  if (row.status !== "pending_approval" || row.expiresAt <= now) return null;
  const decided: ApprovalRow = { ...row, status: to, decidedBy: decider(ctx.actor), decidedAt: now, reason };
  const event = newEvent(teamId, `agent.action.${to}`, renderApproval(decided), { now });
  const pending = "id = ? AND team_id = ? AND status = 'pending_approval' AND expires_at > ?";
  const results = await ctx.env.DB.batch([
    ...eventStatements(ctx.env.DB, [event], { sql: `EXISTS (SELECT 1 FROM agent_approvals WHERE ${pending})`, params: [id, teamId, now] }),
    ctx.env.DB.prepare(`UPDATE agent_approvals SET status = ?, decided_by = ?, decided_at = ?, reason = ? WHERE ${pending}`).bind(
      to,
      decided.decidedBy,
      now,
      reason,
      id,
      teamId,
      now,
    ),
  ]);
  if (results[results.length - 1]?.meta.changes !== 1) return null;
  dispatchAfterResponse(ctx, [event]);
  return decided;
}

async function refuseDecision(ctx: ServiceContext, teamId: string, id: string): Promise<never> {
  const row = await findApproval(ctx, teamId, id);
  if (row.status === "pending_approval") dispatchAfterResponse(ctx, (await expireApprovals(ctx.env)).events);
  const status = row.status === "pending_approval" ? "expired" : row.status;
  throw new ApiError("approval_not_pending", `This approval is ${status}: only a pending approval can be decided.`);
}

export async function rejectApproval(ctx: ServiceContext, id: string, input: { reason?: string }) {
  requireDecider(ctx.actor);
  const teamId = requireTeam(ctx.actor);
  await ctx.authorize(teamId);
  const decided = await claim(ctx, teamId, id, "rejected", input.reason ?? null);
  return decided ? renderApproval(decided) : refuseDecision(ctx, teamId, id);
}

export async function approveApproval(ctx: ServiceContext, id: string) {
  requireDecider(ctx.actor);
  const teamId = requireTeam(ctx.actor);
  await ctx.authorize(teamId);
  // One of any number of concurrent approves wins this update; the others are told it is decided.
  const row = (await claim(ctx, teamId, id, "approved", null)) ?? (await refuseDecision(ctx, teamId, id));
  const shown = await execute(ctx, row);
  // What is kept (and read by the agent, and sent in the event) goes without what the result shows once: the
  // decider's answer below is the only place a created or rotated webhook secret appears.
  const result = { status: shown.status, body: keptResult(OPERATIONS[row.operation as AgentOperation], shown.body) };
  const done: ApprovalRow = { ...row, status: result.status < 400 ? "executed" : "failed", executionResult: result };
  // agent.action.executed says the request was run, whatever it answered: data.status is executed or failed.
  const event = newEvent(teamId, "agent.action.executed", renderApproval(done));
  const t = schema.agentApprovals;
  await ctx.env.DB.batch([
    ...eventStatements(ctx.env.DB, [event], { sql: "EXISTS (SELECT 1 FROM agent_approvals WHERE id = ? AND status = 'approved')", params: [row.id] }),
    statementOf(ctx.env.DB, database(ctx.env.DB).update(t).set({ status: done.status, executionResult: result }).where(eq(t.id, row.id))),
  ]);
  dispatchAfterResponse(ctx, [event]);
  return renderApproval({ ...done, executionResult: shown });
}

/** Runs the held request once, as the agent key as it is now: its scopes, its rate limit, revoked or not. */
async function execute(ctx: ServiceContext, row: ApprovalRow): Promise<{ status: number; body: unknown }> {
  const requestId = newId("req");
  const operation = OPERATIONS[row.operation as AgentOperation];
  const stub = ctx.env.CREDENTIALS.get(ctx.env.CREDENTIALS.idFromName(row.agentKeyId));
  const auth = await stub.admitApproved(row.agentKeyId, defaultRateLimit(ctx.env.ENVIRONMENT));
  let result: { status: number; body: unknown };
  if (!auth.ok || auth.key.teamId !== row.teamId) {
    result = { status: 401, body: errorBody("invalid_api_key", "The agent key that made this request is revoked or expired.", requestId) };
  } else if (!auth.rate.allowed) {
    result = { status: 429, body: errorBody("rate_limit_exceeded", `The agent key's rate limit of ${auth.rate.limit} requests per minute is spent.`, requestId) };
  } else if (!operation) {
    result = { status: 422, body: errorBody("unsupported_operation", `${row.operation} cannot be run from an approval.`, requestId) };
  } else {
    const asAgent: ServiceContext = {
      env: ctx.env,
      actor: keyActorOf(auth.key),
      requestId,
      dryRun: false,
      agentContext: row.agentContext ?? null,
      waitUntil: ctx.waitUntil,
      request: null,
      approval: { id: row.id, decidedBy: decider(ctx.actor) },
      authorize: async (teamId) => {
        if (teamId !== row.teamId) throw new ApiError("not_found");
      },
    };
    try {
      result = { status: operation.status, body: await operation.run(asAgent, row.params, row.input as never) };
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      result = { status: err.status, body: errorBody(err.code, err.message, requestId, err.details, err.extra) };
    }
  }
  ctx.waitUntil(
    enqueueAuditEntries(ctx.env, [
      {
        request_id: requestId,
        team_id: row.teamId,
        credential_id: row.agentKeyId,
        method: row.method,
        path: row.path,
        status: result.status,
        agent_context: row.agentContext ?? null,
        at: Date.now(),
        approval_id: row.id,
        decided_by: decider(ctx.actor),
      },
    ]),
  );
  return result;
}
