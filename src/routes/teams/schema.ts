import { z } from "@hono/zod-openapi";
import { Email, Role } from "../auth/schema";

export const CreateTeamBody = z.strictObject({ name: z.string().trim().min(1).max(100) }).openapi("CreateTeamRequest");
export const AddMemberBody = z.strictObject({ email: Email, role: Role }).openapi("AddMemberRequest");
export const Member = z
  .object({ user_id: z.string(), object: z.literal("team_member"), email: z.string(), role: Role, created_at: z.string() })
  .openapi("TeamMember");
export const TeamParams = z.object({ id: z.string().max(64).openapi({ param: { name: "id", in: "path" }, example: "team_01JD…" }) });
export const MemberParams = TeamParams.extend({
  user_id: z.string().max(64).openapi({ param: { name: "user_id", in: "path" }, example: "usr_01JD…" }),
});
