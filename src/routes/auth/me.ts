import { me } from "../../services/auth";
import { serviceContext } from "../context";
import { defineRoute, BEARER, createRouter, errorResponses, jsonContent } from "../openapi";
import { Me } from "./schema";

const route = defineRoute({
  operationId: "getCurrentUser",
  method: "get",
  path: "/me",
  tags: ["Accounts"],
  summary: "The signed-in user and their teams",
  security: BEARER,
  responses: { 200: jsonContent(Me, "The user and their teams"), ...errorResponses([]) },
});

export default createRouter().openapi(route, async (c) => c.json(await me(serviceContext(c)), 200));
