import { refresh } from "../../services/auth";
import { defineRoute, createRouter, PUBLIC, errorResponses, jsonBody, jsonContent } from "../openapi";
import { RefreshBody, TokenPair } from "./schema";

const route = defineRoute({
  operationId: "refreshTokens",
  method: "post",
  path: "/refresh",
  tags: ["Accounts"],
  security: PUBLIC,
  summary: "Exchange a refresh token for a new pair",
  description: "The presented refresh token is spent. Presenting a spent token again revokes its whole family (the session): both tokens of a stolen pair stop working. With an `Idempotency-Key`, a retry gets the same new pair only while that pair is unused and the session alive; after that it counts as a spent token shown again.",
  request: jsonBody(RefreshBody),
  responses: {
    200: jsonContent(TokenPair, "A new token pair"),
    ...errorResponses(["invalid_refresh_token"], { authenticated: false }),
  },
});

export default createRouter().openapi(route, async (c) => c.json(await refresh(c.env, c.req.valid("json")), 200));
