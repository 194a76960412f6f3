import { createTeam } from "../../services/teams";
import { Team } from "../auth/schema";
import { serviceContext } from "../context";
import { defineRoute, BEARER, createRouter, errorResponses, jsonBody, jsonContent } from "../openapi";
import { CreateTeamBody } from "./schema";

const route = defineRoute({
  operationId: "createTeam",
  method: "post",
  path: "/",
  tags: ["Teams"],
  summary: "Create a team",
  description: "Signed-in users only; the caller becomes its owner.",
  security: BEARER,
  request: jsonBody(CreateTeamBody),
  responses: { 201: jsonContent(Team, "The new team"), ...errorResponses([]) },
});

export default createRouter().openapi(route, async (c) => c.json(await createTeam(serviceContext(c), c.req.valid("json")), 201));
