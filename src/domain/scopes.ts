// Scopes follow action:resource. Legacy values expand: read → every read:*, write → every read:* and write:*
// plus validate/redeem, admin → all of them and the admin power itself.
export const SCOPES = [
  "read:vouchers",
  "write:vouchers",
  "validate:vouchers",
  "redeem:vouchers",
  "read:campaigns",
  "write:campaigns",
  "read:customers",
  "write:customers",
  "read:analytics",
  "read:webhooks",
  "write:webhooks",
  "read:api_keys",
  "write:api_keys",
  "read:approvals",
  "write:approvals",
] as const;

/**
 * What a credential holds. `admin` is held only by `admin` keys and owner/admin users: it is the power to mint
 * (or rotate, or revoke) an admin key, which `write` (every other scope) does not give.
 */
export type Scope = (typeof SCOPES)[number] | "admin";
export const SCOPE_VALUES = [...SCOPES, "read", "write", "admin"] as const;
export type ScopeValue = (typeof SCOPE_VALUES)[number];

const READ = SCOPES.filter((s) => s.startsWith("read:"));
const WRITE = [...READ, ...SCOPES.filter((s) => s.startsWith("write:")), "validate:vouchers", "redeem:vouchers"] as Scope[];

export function expandScopes(values: readonly string[]): Set<Scope> {
  const out = new Set<Scope>();
  for (const value of values) {
    if (value === "admin") [...SCOPES, "admin" as const].forEach((s) => out.add(s));
    else if (value === "write") WRITE.forEach((s) => out.add(s));
    else if (value === "read") READ.forEach((s) => out.add(s));
    else if ((SCOPES as readonly string[]).includes(value)) out.add(value as Scope);
  }
  return out;
}

export function isSubset(wanted: Set<Scope>, held: Set<Scope>): boolean {
  for (const scope of wanted) if (!held.has(scope)) return false;
  return true;
}

/** Limits every credential gets unless it sets its own: API.md §4. */
export const defaultRateLimit = (environment: "staging" | "production") => (environment === "production" ? 1000 : 500);
