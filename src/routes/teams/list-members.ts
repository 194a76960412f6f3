import { listMembers } from "../../services/teams";
import { listSchema, paginationQuery } from "../../lib/pagination";
import { serviceContext } from "../context";
import { defineRoute, BEARER, createRouter, errorResponses, jsonContent } from "../openapi";
import { Member, TeamParams } from "./schema";

const route = defineRoute({
  operationId: "listTeamMembers",
  method: "get",
  path: "/{id}/members",
  tags: ["Teams"],
  summary: "List a team's members",
  description: "Any member may list. A team you are not in answers 404.",
  security: BEARER,
  request: { params: TeamParams, query: paginationQuery("usr") },
  responses: { 200: jsonContent(listSchema(Member), "A page of members"), ...errorResponses(["not_found"]) },
});

export default createRouter().openapi(route, async (c) =>
  c.json(await listMembers(serviceContext(c), c.req.valid("param").id, c.req.valid("query")), 200),
);
