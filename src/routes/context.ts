import type { Context } from "hono";
import type { AppEnv, RequestRecord, ServiceContext } from "../env";
import { ApiError, StoredAnswerReplay } from "../errors";
import { holdForApproval } from "../services/approvals";
import type { IdempotentAnswer } from "../services/idempotency";

/**
 * The request a verb serves, as an approval stores it, and where its authorization checkpoint finds an
 * idempotent answer to hand out and leaves the team it authorized. A REST route's is its HTTP request (the
 * idempotency middleware reads and writes the context variables); an MCP tool call brings its own: the REST
 * request it stands for, and its own idempotency_key.
 */
export type CallScope = {
  request: RequestRecord | null;
  storedAnswer: () => IdempotentAnswer | undefined;
  authorized: (teamId: string | null) => void;
};

function restScope(c: Context<AppEnv>): CallScope {
  return {
    request: {
      method: c.req.method,
      path: c.req.path,
      idempotencyKey: c.req.header("Idempotency-Key") ?? null,
      body: () => c.req.json().catch(() => null),
    },
    storedAnswer: () => c.get("storedAnswer"),
    authorized: (teamId) => c.set("authorizedTeam", teamId),
  };
}

/** What a route (or an MCP tool) hands to a service verb. */
export function serviceContext(c: Context<AppEnv>, scope: CallScope = restScope(c)): ServiceContext {
  const ctx: ServiceContext = {
    env: c.env,
    actor: c.get("actor"),
    requestId: c.get("requestId"),
    dryRun: c.get("dryRun") ?? false,
    agentContext: c.get("agentContext") ?? null,
    waitUntil: (promise) => c.executionCtx.waitUntil(promise),
    request: scope.request,
    approval: null,
    authorize: async (teamId, action) => {
      const answer = scope.storedAnswer();
      if (answer) {
        if (answer.teamId !== teamId) throw new ApiError("idempotency_key_mismatch", "This Idempotency-Key was used for a request in another team.");
        throw new StoredAnswerReplay(answer);
      }
      scope.authorized(teamId);
      if (action && teamId) await holdForApproval(ctx, teamId, action);
    },
  };
  return ctx;
}
