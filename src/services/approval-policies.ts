// A team's approval policy for agent keys: which writes wait for a human and for how long (API.md §8). Read by
// operators, changed by owners and admins (or an admin secret key). Read on every agent write, never cached, so a
// tightened policy holds from the very next request.
import { eq } from "drizzle-orm";
import { database, schema } from "../db/client";
import { type ApprovalPolicy, type ApprovalRules, type Decision, withDefaults } from "../domain/approval-policy";
import type { Actor, Env, ServiceContext } from "../env";
import { ApiError } from "../errors";
import { iso } from "../lib/time";
import { requireKeyType, requireRole, requireScope, requireTeam } from "./access";

export async function teamPolicy(env: Env, teamId: string): Promise<ApprovalPolicy> {
  const row = await database(env.DB).select().from(schema.approvalPolicies).where(eq(schema.approvalPolicies.teamId, teamId)).get();
  return withDefaults(row?.rules ?? null, row?.ttlSeconds ?? null);
}

async function render(env: Env, teamId: string) {
  const row = await database(env.DB).select().from(schema.approvalPolicies).where(eq(schema.approvalPolicies.teamId, teamId)).get();
  const policy = withDefaults(row?.rules ?? null, row?.ttlSeconds ?? null);
  return {
    object: "approval_policy" as const,
    rules: policy.rules,
    ttl_seconds: policy.ttlSeconds,
    updated_at: iso(row?.updatedAt ?? null),
    updated_by: row?.updatedBy ?? null,
  };
}

function requireOperator(actor: Actor) {
  requireKeyType(actor, ["secret"]);
  requireScope(actor, "read:approvals");
}

export async function getApprovalPolicy(ctx: ServiceContext) {
  requireOperator(ctx.actor);
  return render(ctx.env, requireTeam(ctx.actor));
}

/** Replaces the policy: rules left out take their default. Only owners, admins and admin keys may. */
export async function putApprovalPolicy(ctx: ServiceContext, input: { rules?: Partial<Record<keyof ApprovalRules, Decision>>; ttl_seconds?: number }) {
  const { actor } = ctx;
  requireKeyType(actor, ["secret"]);
  requireRole(actor, ["owner", "admin"]);
  if (actor.kind === "api_key" && !actor.scopes.has("admin")) throw new ApiError("insufficient_scope", "Changing the approval policy needs an admin key.");
  const teamId = requireTeam(actor);
  await ctx.authorize(teamId);
  const policy = withDefaults(input.rules ?? null, input.ttl_seconds ?? null);
  const row = {
    teamId,
    rules: policy.rules,
    ttlSeconds: policy.ttlSeconds,
    updatedAt: Date.now(),
    updatedBy: actor.kind === "api_key" ? actor.keyId : actor.userId,
  };
  await database(ctx.env.DB)
    .insert(schema.approvalPolicies)
    .values(row)
    .onConflictDoUpdate({ target: schema.approvalPolicies.teamId, set: { rules: row.rules, ttlSeconds: row.ttlSeconds, updatedAt: row.updatedAt, updatedBy: row.updatedBy } });
  return render(ctx.env, teamId);
}
