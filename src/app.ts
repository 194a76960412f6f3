// Builds the app. Order matters: request id first (every answer carries it), then the body cap; everything under
// /v1 then goes through agent context, audit (which wraps authentication so it sees denials), authentication with
// the rate limit (skipped for sign-up, login and refresh), the publishable-key gate and idempotency. Dry-run is a
// per-route policy attached by defineRoute. /docs and /dashboard are pages (src/dashboard/); their static assets
// (/assets/*) are served by Workers static assets before the worker runs.
import { bodyLimit } from "hono/body-limit";
import { dashboardRoutes } from "./dashboard";
import { docsPage } from "./dashboard/docs";
import { ApiError, notFound, onError } from "./errors";
import { agentContext } from "./middleware/agent-context";
import { audit } from "./middleware/audit";
import { authenticate } from "./middleware/authenticate";
import { idempotency } from "./middleware/idempotency";
import { publishableGate, validatePreflight } from "./middleware/publishable";
import { requestId } from "./middleware/request-id";
import { agentApprovalRoutes, approvalPolicyRoutes } from "./routes/agent-approvals";
import { analyticsRoutes } from "./routes/analytics";
import { apiKeyRoutes } from "./routes/api-keys";
import { authRoutes, publicAuthRoutes } from "./routes/auth";
import { campaignRoutes } from "./routes/campaigns";
import { customerRoutes } from "./routes/customers";
import { jobRoutes } from "./routes/jobs";
import { mcpRoutes } from "./mcp/route";
import health from "./routes/health";
import { createRouter } from "./routes/openapi";
import { reportRoutes } from "./routes/reports";
import { teamRoutes } from "./routes/teams";
import { voucherRoutes } from "./routes/vouchers";
import { webhookRoutes } from "./routes/webhooks";
import { describeWebhookEvents } from "./routes/webhooks/event-doc";

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
      description: [
        "Vouchers, coupons and promotions at the edge.",
        "",
        "- **Authentication**: `Authorization: Bearer <key or access token>` (or `X-API-Key`). Keys: `vf_sk_` secret, `vf_pk_` publishable (validate only, from their allowed origins; 401 and 429 answers carry CORS headers so the page can read them), `vf_ak_` agent; `test` keys on staging, `live` on production. A key carries a check: a mistyped key is refused at once. A key also names its team, so a validate is answered in one round trip at the edge; keys issued before that keep working.",
        "- **Errors**: always `{error, message, request_id, details?}`; every response carries `Request-Id`.",
        '- **Rate limits**: per credential, 1,000/min in production and 500 in staging unless the key sets its own; every authenticated answer carries `RateLimit-Policy: "default";q=<limit>;w=60` and `RateLimit: "default";r=<remaining>;t=<seconds>`; over the limit, 429 `rate_limit_exceeded` with `Retry-After`.',
        "- **Retries**: `Idempotency-Key` on any POST or PATCH replays the first answer for 24 hours (`Idempotent-Replayed: true`); a different request with the same key is 422, a concurrent one 409. Keys are scoped to the credential (an API key, the same after rotation, or a user); a replay is authenticated, authorized and rate-limited like a new request, and a refusal is not kept. Stored answers are encrypted at rest.",
        "- **Previews**: `Vauchflow-Dry-Run: true` where an operation says it is supported; elsewhere 400 `dry_run_not_supported`.",
        "- **Lists**: `?limit=1..100&cursor=…` → `{data, has_more, next_cursor}`, newest first.",
        "- **Money** is integer minor units with an ISO-4217 currency; times are RFC 3339 UTC.",
      ].join("\n"),
    },
    servers: [{ url: new URL(c.req.url).origin }],
  }));
  describeWebhookEvents(app);
  app.get("/docs", docsPage);
  // The dashboard is a UI over the same services, not part of the API: its routes stay out of /openapi.json.
  app.route("/dashboard", dashboardRoutes);

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
  app.route("/v1/agent-approvals", agentApprovalRoutes);
  app.route("/v1/approval-policy", approvalPolicyRoutes);
  app.route("/v1/reports", reportRoutes);
  app.route("/v1/analytics", analyticsRoutes);
  app.route("/v1/mcp", mcpRoutes);
  app.route("/v1/webhooks", webhookRoutes);

  app.notFound(notFound);
  app.onError(onError);
  return app;
}
