import { addMember } from "../../services/teams";
import { serviceContext } from "../context";
import { defineRoute, BEARER, createRouter, errorResponses, jsonBody, jsonContent } from "../openapi";
import { AddMemberBody, Member, TeamParams } from "./schema";

const route = defineRoute({
  operationId: "addTeamMember",
  method: "post",
  path: "/{id}/members",
  tags: ["Teams"],
  summary: "Add a member",
  description: "Owners and admins. The user must already have an account. Only an owner can add an owner.",
  security: BEARER,
  request: { params: TeamParams, ...jsonBody(AddMemberBody) },
  responses: { 201: jsonContent(Member, "The new member"), ...errorResponses(["not_found", "already_member"]) },
});

export default createRouter().openapi(route, async (c) =>
  c.json(await addMember(serviceContext(c), c.req.valid("param").id, c.req.valid("json")), 201),
);
