// The checks every service verb starts with. They throw ApiError; routes and MCP tools never check on their own.
import type { Actor, KeyType, Role } from "../env";
import { ApiError } from "../errors";
import { expandScopes, SCOPES, type Scope } from "../domain/scopes";
import type { AuthenticatedKey } from "../objects/credential";

export const ROLE_SCOPES: Record<Role, Scope[]> = {
  owner: [...SCOPES, "admin"],
  admin: [...SCOPES, "admin"],
  // Everything but deciding approvals, so a developer cannot approve, nor mint a key that can.
  developer: SCOPES.filter((s) => s !== "write:approvals"),
  viewer: SCOPES.filter((s) => s.startsWith("read:")),
};

/** The actor an authenticated API key acts as. */
export function keyActorOf(key: AuthenticatedKey): Actor {
  return {
    kind: "api_key",
    keyId: key.id,
    keyType: key.type,
    teamId: key.teamId,
    scopes: expandScopes(key.scopes),
    allowedOrigins: key.allowedOrigins,
    expiresAt: key.expiresAt,
    rateLimitPerMinute: key.rateLimitPerMinute,
  };
}

export function requireScope(actor: Actor, scope: Scope): void {
  if (actor.scopes.has(scope)) return;
  // A user with no team chosen has no role yet: say which team is missing, not that the role is too low.
  if (actor.kind === "user" && !actor.teamId) requireTeam(actor);
  if (actor.kind === "user") throw new ApiError("insufficient_role", `Your role does not allow this request (needs ${scope}).`);
  throw new ApiError("insufficient_scope", `This key lacks the scope ${scope}.`);
}

/** The team the request acts on. Keys always have one; users may need X-Team-Id. */
export function requireTeam(actor: Actor): string {
  if (actor.kind === "api_key") return actor.teamId;
  if (actor.teamId) return actor.teamId;
  if (actor.teams.length === 0) throw new ApiError("team_access_denied", "You are not a member of any team.");
  throw new ApiError("team_required");
}

export function requireUser(actor: Actor): Extract<Actor, { kind: "user" }> {
  if (actor.kind !== "user") throw new ApiError("key_type_not_allowed", "Only a signed-in user can make this request.");
  return actor;
}

export function requireRole(actor: Actor, roles: Role[]): void {
  if (actor.kind === "user" && actor.role && roles.includes(actor.role)) return;
  if (actor.kind === "user") throw new ApiError("insufficient_role", `This request needs the role ${roles.join(" or ")}.`);
}

export function requireKeyType(actor: Actor, allowed: KeyType[]): void {
  if (actor.kind === "api_key" && !allowed.includes(actor.keyType)) {
    throw new ApiError("key_type_not_allowed", `A ${actor.keyType} key cannot make this request.`);
  }
}

/** PATCH accepts only `allowed` fields; any other field answers 422 unsupported_field, naming each. */
export function requireOnlyFields(input: Record<string, unknown>, allowed: readonly string[]): void {
  const refused = Object.keys(input).filter((k) => !allowed.includes(k));
  if (refused.length === 0) return;
  throw new ApiError(
    "unsupported_field",
    `Only ${allowed.join(", ")} can be changed; not ${refused.join(", ")}.`,
    refused.map((path) => ({ path, message: "cannot be changed" })),
  );
}

/** `?from&to` as milliseconds, either side open; from must come before to. */
export function timeWindow(query: { from?: string; to?: string }): { from: number; to: number } {
  const from = query.from ? Date.parse(query.from) : 0;
  const to = query.to ? Date.parse(query.to) : Number.MAX_SAFE_INTEGER;
  if (from >= to) throw new ApiError("invalid_request", "from must be before to.", [{ path: "from", message: "must be before to" }]);
  return { from, to };
}
