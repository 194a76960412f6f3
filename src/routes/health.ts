import { z } from "@hono/zod-openapi";
import { defineRoute, createRouter, PUBLIC, jsonContent } from "./openapi";

const route = defineRoute({
  operationId: "getHealth",
  method: "get",
  path: "/health",
  tags: ["Meta"],
  security: PUBLIC,
  underV1: false,
  summary: "Liveness check",
  responses: { 200: jsonContent(z.object({ status: z.literal("ok") }), "The worker is up") },
});

export default createRouter().openapi(route, (c) => c.json({ status: "ok" as const }, 200));
