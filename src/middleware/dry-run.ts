// Vauchflow-Dry-Run as one mechanism. Every route declares whether it supports a preview (defineRoute's
// `dryRun`); this middleware, attached to every route, refuses the header where it is not supported, hands
// `dryRun` to the service (which then persists nothing and fires nothing), and marks the answer.
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { ApiError } from "../errors";

export function parseDryRun(value: string | undefined): boolean {
  if (value === undefined) return false;
  const normalized = value.trim().toLowerCase();
  if (normalized === "true") return true;
  if (normalized === "false") return false;
  throw new ApiError("invalid_header", "Vauchflow-Dry-Run must be true or false.", [{ path: "Vauchflow-Dry-Run", message: "must be true or false" }]);
}

export function dryRunPolicy(supported: boolean): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const requested = parseDryRun(c.req.header("Vauchflow-Dry-Run"));
    const readOnly = c.req.method === "GET" || c.req.method === "HEAD";
    if (requested && !readOnly && !supported) throw new ApiError("dry_run_not_supported");
    const dryRun = requested && supported;
    c.set("dryRun", dryRun);
    await next();
    if (!dryRun || c.res.status >= 400 || !c.res.headers.get("Content-Type")?.includes("application/json")) return;
    // Same status and body as the real call, plus dry_run: true and id: null.
    const body = (await c.res.json()) as Record<string, unknown>;
    const headers = new Headers(c.res.headers);
    headers.delete("Content-Length");
    c.res = new Response(JSON.stringify({ ...body, id: null, dry_run: true }), { status: c.res.status, headers });
  };
}
