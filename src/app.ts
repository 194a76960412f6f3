// Builds the app. Order matters: request id first (every answer carries it), then the body cap; everything under
// /v1 then goes through agent context, audit (which wraps authentication so it sees denials), authentication with
// the rate limit (skipped for sign-up, login and refresh), the publishable-key gate and idempotency. Dry-run is a
// per-route policy attached by defineRoute.
import { Scalar } from "@scalar/hono-api-reference";
import { bodyLimit } from "hono/body-limit";
import { ApiError, notFound, onError } from "./errors";
import { agentContext } from "./middleware/agent-context";
import { audit } from "./middleware/audit";
import { authenticate } from "./middleware/authenticate";
import { idempotency } from "./middleware/idempotency";
import { publishableGate, validatePreflight } from "./middleware/publishable";
import { requestId } from "./middleware/request-id";
import { apiKeyRoutes } from "./routes/api-keys";
import { authRoutes, publicAuthRoutes } from "./routes/auth";
import { campaignRoutes } from "./routes/campaigns";
import { customerRoutes } from "./routes/customers";
import { jobRoutes } from "./routes/jobs";
import health from "./routes/health";
import { createRouter } from "./routes/openapi";
import { teamRoutes } from "./routes/teams";
import { voucherRoutes } from "./routes/vouchers";

export const MAX_BODY_BYTES = 1024 * 1024;

export function buildApp() {
  const app = createRouter();
  app.use("*", requestId);
  app.use(
    "*",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new ApiError("payload_too_large");
      },
    }),
  );

  app.route("/", health);
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "An API key (vf_sk_…, vf_pk_…, vf_ak_…) or a dashboard access token (JWT).",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "apiKey", { type: "apiKey", in: "header", name: "X-API-Key" });
  app.doc31("/openapi.json", (c) => ({
    openapi: "3.1.0",
    info: {
      title: "Vauchflow API",
      version: "1.0.0",
      description:
        "Vouchers, coupons and promotions at the edge. Every error has the shape `{error, message, request_id, details?}`; every response carries `Request-Id`.",
    },
    servers: [{ url: new URL(c.req.url).origin }],
  }));
  app.get("/docs", Scalar({ url: "/openapi.json", pageTitle: "Vauchflow API reference" }));

  app.options("/v1/vouchers/:code/validate", validatePreflight);

  app.use("/v1/*", agentContext, audit, authenticate, publishableGate, idempotency);
  app.route("/v1/auth", publicAuthRoutes);
  app.route("/v1/auth", authRoutes);
  app.route("/v1/teams", teamRoutes);
  app.route("/v1/api-keys", apiKeyRoutes);
  app.route("/v1/customers", customerRoutes);
  app.route("/v1/vouchers", voucherRoutes);
  app.route("/v1/campaigns", campaignRoutes);
  app.route("/v1/jobs", jobRoutes);

  app.notFound(notFound);
  app.onError(onError);
  return app;
}
