import { logout } from "../../services/auth";
import { serviceContext } from "../context";
import { defineRoute, BEARER, createRouter, errorResponses, jsonBody } from "../openapi";
import { RefreshBody } from "./schema";

const route = defineRoute({
  operationId: "logOut",
  method: "post",
  path: "/logout",
  tags: ["Accounts"],
  summary: "End a session",
  description: "Revokes the refresh token's family; access tokens of that session stop working at once.",
  security: BEARER,
  request: jsonBody(RefreshBody),
  responses: { 204: { description: "Logged out" }, ...errorResponses(["invalid_refresh_token"]) },
});

export default createRouter().openapi(route, async (c) => {
  await logout(serviceContext(c), c.req.valid("json"));
  return c.body(null, 204);
});
