import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { ApiError } from "../errors";
import { parseAgentContext } from "../lib/agent-context";

/** Parses Vauchflow-Agent-Context once; audit entries and approvals read it from the context. */
export const agentContext = createMiddleware<AppEnv>(async (c, next) => {
  const raw = c.req.header("Vauchflow-Agent-Context");
  if (raw === undefined) {
    c.set("agentContext", null);
    return next();
  }
  const parsed = parseAgentContext(raw);
  if (!parsed.ok) {
    throw new ApiError("invalid_agent_context", `Vauchflow-Agent-Context is invalid: ${parsed.reason}.`, [
      { path: "Vauchflow-Agent-Context", message: parsed.reason },
    ]);
  }
  c.set("agentContext", parsed.value);
  await next();
});
