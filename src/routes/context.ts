import type { Context } from "hono";
import type { AppEnv, ServiceContext } from "../env";
import { ApiError, StoredAnswerReplay } from "../errors";

/** What a route hands to a service verb. */
export function serviceContext(c: Context<AppEnv>): ServiceContext {
  return {
    env: c.env,
    actor: c.get("actor"),
    requestId: c.get("requestId"),
    dryRun: c.get("dryRun") ?? false,
    agentContext: c.get("agentContext") ?? null,
    waitUntil: (promise) => c.executionCtx.waitUntil(promise),
    authorized: (teamId) => {
      const answer = c.get("storedAnswer");
      if (!answer) return c.set("authorizedTeam", teamId);
      if (answer.teamId !== teamId) throw new ApiError("idempotency_key_mismatch", "This Idempotency-Key was used for a request in another team.");
      throw new StoredAnswerReplay(answer);
    },
  };
}
