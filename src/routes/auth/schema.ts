import { z } from "@hono/zod-openapi";

export const Email = z.email().max(254).openapi({ example: "ada@example.com" });
const Password = z.string().min(10, "must be at least 10 characters").max(256);

export const SignupBody = z
  .strictObject({ email: Email, password: Password, team_name: z.string().trim().min(1).max(100) })
  .openapi("SignupRequest");
export const LoginBody = z.strictObject({ email: Email, password: z.string().min(1).max(256) }).openapi("LoginRequest");
export const RefreshBody = z.strictObject({ refresh_token: z.string().min(1).max(200) }).openapi("RefreshRequest");

export const User = z
  .object({ id: z.string().openapi({ example: "usr_01JD…" }), object: z.literal("user"), email: z.string(), created_at: z.string() })
  .openapi("User");
export const Role = z.enum(["owner", "admin", "developer", "viewer"]).openapi("Role");
export const Team = z
  .object({ id: z.string(), object: z.literal("team"), name: z.string(), role: Role, created_at: z.string() })
  .openapi("Team");

export const Tokens = z.object({
  access_token: z.string().openapi({ description: "HS256 JWT, valid 15 minutes." }),
  refresh_token: z.string().openapi({ description: "Opaque, single use, valid 30 days." }),
  token_type: z.literal("Bearer"),
  expires_in: z.number().int().openapi({ example: 900 }),
});
export const TokenPair = Tokens.openapi("TokenPair");
export const SignupResult = Tokens.extend({ user: User, team: Team }).openapi("SignupResult");
export const LoginResult = Tokens.extend({ user: User }).openapi("LoginResult");
export const Me = z.object({ user: User, teams: z.array(Team) }).openapi("Me");
