import { login } from "../../services/auth";
import { defineRoute, createRouter, PUBLIC, errorResponses, jsonBody, jsonContent } from "../openapi";
import { LoginBody, LoginResult } from "./schema";

const route = defineRoute({
  operationId: "logIn",
  method: "post",
  path: "/login",
  tags: ["Accounts"],
  security: PUBLIC,
  summary: "Log in with email and password",
  description: "Wrong password and unknown email get the same answer. At most 10 attempts per email per minute (429 `rate_limit_exceeded` with `Retry-After`).",
  request: jsonBody(LoginBody),
  responses: {
    200: jsonContent(LoginResult, "Logged in"),
    ...errorResponses(["invalid_credentials", "rate_limit_exceeded"], { authenticated: false }),
  },
});

export default createRouter().openapi(route, async (c) => c.json(await login(c.env, c.req.valid("json")), 200));
