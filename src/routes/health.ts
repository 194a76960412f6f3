import { createRoute, z } from "@hono/zod-openapi";
import { createRouter, jsonContent } from "./openapi";

const route = createRoute({
  method: "get",
  path: "/health",
  tags: ["Meta"],
  summary: "Liveness check",
  responses: { 200: jsonContent(z.object({ status: z.literal("ok") }), "The worker is up") },
});

export default createRouter().openapi(route, (c) => c.json({ status: "ok" as const }, 200));
