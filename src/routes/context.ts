import type { Context } from "hono";
import type { AppEnv, ServiceContext } from "../env";
import { ApiError, StoredAnswerReplay } from "../errors";
import { holdForApproval } from "../services/approvals";

/** What a route hands to a service verb. */
export function serviceContext(c: Context<AppEnv>): ServiceContext {
  const ctx: ServiceContext = {
    env: c.env,
    actor: c.get("actor"),
    requestId: c.get("requestId"),
    dryRun: c.get("dryRun") ?? false,
    agentContext: c.get("agentContext") ?? null,
    waitUntil: (promise) => c.executionCtx.waitUntil(promise),
    request: {
      method: c.req.method,
      path: c.req.path,
      idempotencyKey: c.req.header("Idempotency-Key") ?? null,
      body: () => c.req.json().catch(() => null),
    },
    approval: null,
    authorize: async (teamId, action) => {
      const answer = c.get("storedAnswer");
      if (answer) {
        if (answer.teamId !== teamId) throw new ApiError("idempotency_key_mismatch", "This Idempotency-Key was used for a request in another team.");
        throw new StoredAnswerReplay(answer);
      }
      c.set("authorizedTeam", teamId);
      if (action && teamId) await holdForApproval(ctx, teamId, action);
    },
  };
  return ctx;
}
