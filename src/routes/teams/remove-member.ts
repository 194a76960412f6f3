import { removeMember } from "../../services/teams";
import { serviceContext } from "../context";
import { defineRoute, BEARER, createRouter, errorResponses } from "../openapi";
import { MemberParams } from "./schema";

const route = defineRoute({
  operationId: "removeTeamMember",
  method: "delete",
  path: "/{id}/members/{user_id}",
  tags: ["Teams"],
  summary: "Remove a member",
  description: "Owners and admins; only an owner removes an owner. The last owner cannot be removed (409 `last_owner`).",
  security: BEARER,
  request: { params: MemberParams },
  responses: { 204: { description: "Removed" }, ...errorResponses(["not_found", "last_owner"]) },
});

export default createRouter().openapi(route, async (c) => {
  const { id, user_id } = c.req.valid("param");
  await removeMember(serviceContext(c), id, user_id);
  return c.body(null, 204);
});
