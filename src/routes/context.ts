import type { Context } from "hono";
import type { AppEnv, ServiceContext } from "../env";

/** What a route hands to a service verb. */
export function serviceContext(c: Context<AppEnv>): ServiceContext {
  return {
    env: c.env,
    actor: c.get("actor"),
    requestId: c.get("requestId"),
    dryRun: c.get("dryRun") ?? false,
    agentContext: c.get("agentContext") ?? null,
    waitUntil: (promise) => c.executionCtx.waitUntil(promise),
  };
}
