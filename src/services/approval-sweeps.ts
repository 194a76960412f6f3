// The approvals' minute sweeps (src/index.ts scheduled): pending approvals nobody decided in time expire, and an
// approved one whose run never recorded its result (its worker stopped in between) is closed as failed rather
// than left `approved` for ever. Each change is one D1 batch with its webhook events, guarded on the state it
// changes, so a decision or a run that wins the race leaves no event here.
import { and, eq, lt, lte } from "drizzle-orm";
import { database, schema } from "../db/client";
import { newEvent, type WebhookEvent } from "../domain/webhook-events";
import type { ServiceContext } from "../env";
import { errorBody } from "../errors";
import { newId } from "../lib/ids";
import { renderApproval } from "./approvals";
import { eventStatements } from "./webhook-outbox";

/** Approvals expired per transaction: their events and the update go in one batch. */
const EXPIRE_ROUND = 100;

/**
 * Every pending approval past its expiry becomes `expired`, with its agent.action.expired event in the same
 * transaction (each event guarded on its approval still being pending, so a decision that won the race has none).
 */
export async function expireApprovals(env: ServiceContext["env"], now = Date.now()): Promise<{ count: number; events: WebhookEvent[] }> {
  const t = schema.agentApprovals;
  const events: WebhookEvent[] = [];
  let count = 0;
  for (let round = 0; round < 50; round++) {
    const due = await database(env.DB)
      .select()
      .from(t)
      .where(and(eq(t.status, "pending_approval"), lte(t.expiresAt, now)))
      .limit(EXPIRE_ROUND);
    if (due.length === 0) break;
    const made = due.map((row) => newEvent(row.teamId, "agent.action.expired", renderApproval({ ...row, status: "expired" }), { now }));
    const stillDue = (a: string) => `${a}status = 'pending_approval' AND ${a}expires_at <= ?`;
    const results = await env.DB.batch([
      ...eventStatements(env.DB, made, {
        sql: `EXISTS (SELECT 1 FROM agent_approvals a WHERE a.id = json_extract(ev.data, '$.id') AND ${stillDue("a.")})`,
        params: [now],
      }),
      env.DB.prepare(`UPDATE agent_approvals SET status = 'expired' WHERE ${stillDue("")} AND id IN (SELECT value FROM json_each(?))`).bind(
        now,
        JSON.stringify(due.map((r) => r.id)),
      ),
    ]);
    count += results[results.length - 1]?.meta.changes ?? 0;
    events.push(...made);
    if (due.length < EXPIRE_ROUND) break;
  }
  return { count, events };
}

/** The scheduled sweep: expires what is due and closes interrupted runs (the webhook sweep that runs next dispatches their events). */
export async function sweepApprovals(env: ServiceContext["env"], now = Date.now()): Promise<{ expired: number; interrupted: number }> {
  const expired = (await expireApprovals(env, now)).count;
  const interrupted = (await closeInterruptedRuns(env, now)).count;
  return { expired, interrupted };
}

/** Far beyond any run's length: every operation answers in milliseconds (a bulk job only queues its work). */
export const EXECUTION_STALE_MS = 5 * 60 * 1000;

/**
 * Approvals still `approved` EXECUTION_STALE_MS after their decision: their run was interrupted before its result
 * was recorded. They become `failed` with a 500 result saying the outcome is unknown, and agent.action.executed.
 */
export async function closeInterruptedRuns(env: ServiceContext["env"], now = Date.now()): Promise<{ count: number; events: WebhookEvent[] }> {
  const t = schema.agentApprovals;
  const stale = await database(env.DB)
    .select()
    .from(t)
    .where(and(eq(t.status, "approved"), lt(t.decidedAt, now - EXECUTION_STALE_MS)))
    .limit(EXPIRE_ROUND);
  const events: WebhookEvent[] = [];
  let count = 0;
  for (const row of stale) {
    const result = {
      status: 500,
      body: errorBody(
        "internal_error",
        "The approved request was interrupted before its result was recorded: whether it took effect is unknown. Check before asking again.",
        newId("req"),
      ),
    };
    const failed = { ...row, status: "failed" as const, executionResult: result };
    const event = newEvent(row.teamId, "agent.action.executed", renderApproval(failed), { now });
    const results = await env.DB.batch([
      ...eventStatements(env.DB, [event], { sql: "EXISTS (SELECT 1 FROM agent_approvals WHERE id = ? AND status = 'approved')", params: [row.id] }),
      env.DB.prepare("UPDATE agent_approvals SET status = 'failed', execution_result = ? WHERE id = ? AND status = 'approved'").bind(JSON.stringify(result), row.id),
    ]);
    if (results[results.length - 1]?.meta.changes === 1) (count += 1), events.push(event);
  }
  return { count, events };
}
