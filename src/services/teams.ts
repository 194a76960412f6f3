// Teams and their members. Member management is for signed-in owners and admins; the last owner stays.
import { and, asc, eq, gt, sql } from "drizzle-orm";
import type { Role, ServiceContext } from "../env";
import { ApiError } from "../errors";
import { database, schema } from "../db/client";
import { newId } from "../lib/ids";
import { page } from "../lib/pagination";
import { iso } from "../lib/time";
import { requireRole, requireUser } from "./access";

export const renderTeam = (t: { id: string; name: string; createdAt: number }, role: Role) => ({
  id: t.id,
  object: "team" as const,
  name: t.name,
  role,
  created_at: iso(t.createdAt),
});

const renderMember = (m: { userId: string; email: string; role: Role; createdAt: number }) => ({
  user_id: m.userId,
  object: "team_member" as const,
  email: m.email,
  role: m.role,
  created_at: iso(m.createdAt),
});

export async function createTeam(ctx: ServiceContext, input: { name: string }) {
  const actor = requireUser(ctx.actor);
  await ctx.authorize(null);
  const db = database(ctx.env.DB);
  const now = Date.now();
  const team = { id: newId("team"), name: input.name, createdAt: now };
  await db.batch([
    db.insert(schema.teams).values(team),
    db.insert(schema.memberships).values({ teamId: team.id, userId: actor.userId, role: "owner", createdAt: now }),
  ]);
  return renderTeam(team, "owner");
}

/** The caller's role in the team named by the path; another team is indistinguishable from none (404). */
function roleIn(ctx: ServiceContext, teamId: string) {
  const actor = requireUser(ctx.actor);
  const membership = actor.teams.find((t) => t.id === teamId);
  if (!membership) throw new ApiError("not_found", "No team with this id.");
  return { ...actor, role: membership.role };
}

const memberColumns = {
  userId: schema.memberships.userId,
  email: schema.users.email,
  role: schema.memberships.role,
  createdAt: schema.memberships.createdAt,
};

export async function listMembers(ctx: ServiceContext, teamId: string, query: { limit: number; cursor?: string }) {
  roleIn(ctx, teamId);
  const rows = await database(ctx.env.DB)
    .select(memberColumns)
    .from(schema.memberships)
    .innerJoin(schema.users, eq(schema.users.id, schema.memberships.userId))
    .where(and(eq(schema.memberships.teamId, teamId), query.cursor ? gt(schema.memberships.userId, query.cursor) : undefined))
    .orderBy(asc(schema.memberships.userId))
    .limit(query.limit + 1);
  return page(rows, query.limit, renderMember, (m) => m.userId);
}

export async function addMember(ctx: ServiceContext, teamId: string, input: { email: string; role: Role }) {
  const caller = roleIn(ctx, teamId);
  requireRole({ ...caller, teamId }, ["owner", "admin"]);
  if (input.role === "owner" && caller.role !== "owner") throw new ApiError("insufficient_role", "Only an owner can add another owner.");
  await ctx.authorize(teamId);
  const db = database(ctx.env.DB);
  const user = await db.select().from(schema.users).where(eq(schema.users.email, input.email.toLowerCase())).get();
  if (!user) throw new ApiError("not_found", "No user with this email: they must sign up first.");
  const now = Date.now();
  const inserted = await db
    .insert(schema.memberships)
    .values({ teamId, userId: user.id, role: input.role, createdAt: now })
    .onConflictDoNothing()
    .run();
  if (inserted.meta.changes !== 1) throw new ApiError("already_member");
  return renderMember({ userId: user.id, email: user.email, role: input.role, createdAt: now });
}

export async function removeMember(ctx: ServiceContext, teamId: string, userId: string) {
  const caller = roleIn(ctx, teamId);
  requireRole({ ...caller, teamId }, ["owner", "admin"]);
  const db = database(ctx.env.DB);
  const target = await db
    .select({ role: schema.memberships.role })
    .from(schema.memberships)
    .where(and(eq(schema.memberships.teamId, teamId), eq(schema.memberships.userId, userId)))
    .get();
  if (!target) throw new ApiError("not_found", "No member with this user id in the team.");
  if (target.role === "owner" && caller.role !== "owner") throw new ApiError("insufficient_role", "Only an owner can remove an owner.");
  // One statement, so two concurrent removals can never leave the team without an owner.
  const removed = await db
    .delete(schema.memberships)
    .where(
      and(
        eq(schema.memberships.teamId, teamId),
        eq(schema.memberships.userId, userId),
        sql`(${schema.memberships.role} <> 'owner' OR (SELECT count(*) FROM memberships WHERE team_id = ${teamId} AND role = 'owner') > 1)`,
      ),
    )
    .run();
  if (removed.meta.changes === 1) return;
  // Refused by the owner guard, or removed meanwhile by a concurrent call: the latter is simply not there (404).
  const still = await db
    .select({ role: schema.memberships.role })
    .from(schema.memberships)
    .where(and(eq(schema.memberships.teamId, teamId), eq(schema.memberships.userId, userId)))
    .get();
  if (!still) throw new ApiError("not_found", "No member with this user id in the team.");
  throw new ApiError("last_owner");
}
