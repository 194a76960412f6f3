import { z } from "@hono/zod-openapi";
import { defineRoute, createRouter, jsonContent } from "./openapi";

const route = defineRoute({
  method: "get",
  path: "/health",
  tags: ["Meta"],
  summary: "Liveness check",
  responses: { 200: jsonContent(z.object({ status: z.literal("ok") }), "The worker is up") },
});

export default createRouter().openapi(route, (c) => c.json({ status: "ok" as const }, 200));
