import { signup } from "../../services/auth";
import { defineRoute, createRouter, PUBLIC, errorResponses, jsonBody, jsonContent } from "../openapi";
import { SignupBody, SignupResult } from "./schema";

const route = defineRoute({
  operationId: "signUp",
  method: "post",
  path: "/signup",
  tags: ["Accounts"],
  security: PUBLIC,
  summary: "Create an account and its first team",
  description: "The caller becomes the team's owner. Returns an access token and a refresh token. Can be disabled by the deployment (SIGNUP_ENABLED).",
  request: jsonBody(SignupBody),
  responses: {
    201: jsonContent(SignupResult, "Account created"),
    ...errorResponses(["signup_disabled", "email_taken"], { authenticated: false }),
  },
});

export default createRouter().openapi(route, async (c) => c.json(await signup(c.env, c.req.valid("json")), 201));
