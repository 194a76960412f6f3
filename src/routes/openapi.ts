// Shared pieces of every route declaration: the router factory with the validation hook, and error responses
// derived from ERROR_CODES so the document cannot drift from what the code answers.
import { createRoute, OpenAPIHono, type RouteConfig, z } from "@hono/zod-openapi";
import type { AppEnv } from "../env";
import { ERROR_CODES, type ErrorCode, validationHook } from "../errors";
import { dryRunPolicy } from "../middleware/dry-run";
import { markChangesState } from "../middleware/audit";

export function createRouter() {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}

export const ErrorSchema = z
  .object({
    error: z.string(),
    message: z.string(),
    request_id: z.string(),
    details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi("Error");

/** Codes every authenticated endpoint can answer with. */
const COMMON: ErrorCode[] = [
  "invalid_request",
  "invalid_json",
  "invalid_header",
  "team_required",
  "invalid_api_key",
  "insufficient_scope",
  "insufficient_role",
  "key_type_not_allowed",
  "team_access_denied",
  "payload_too_large",
  "internal_error",
];

const STATUS_TEXT: Record<number, string> = {
  400: "Malformed request",
  401: "Authentication failed",
  403: "Not allowed",
  404: "Not found",
  409: "Conflict",
  413: "Body too large",
  422: "Not acceptable",
  429: "Rate limited",
  500: "Internal error",
};

type ErrorResponses = Record<number, { description: string; content: { "application/json": { schema: z.ZodTypeAny } } }>;

/** OpenAPI error responses for the given codes, grouped by status, each listing its possible `error` values. */
export function errorResponses(codes: ErrorCode[], options: { authenticated?: boolean } = {}): ErrorResponses {
  const all = new Set<ErrorCode>([...(options.authenticated === false ? ["invalid_request", "invalid_json", "payload_too_large", "internal_error"] as ErrorCode[] : COMMON), ...codes]);
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of all) {
    const status = ERROR_CODES[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const out: ErrorResponses = {};
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
    out[status] = {
      description: `${STATUS_TEXT[status] ?? "Error"}: ${list.map((c) => `\`${c}\``).join(", ")}`,
      content: { "application/json": { schema: ErrorSchema.extend({ error: z.enum(list as [string, ...string[]]) }) } },
    };
  }
  return out;
}

export function jsonContent<T extends z.ZodTypeAny>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } };
}

export function jsonBody<T extends z.ZodTypeAny>(schema: T) {
  return { body: { required: true, content: { "application/json": { schema } } } };
}

export const BEARER: Record<string, string[]>[] = [{ bearer: [] }, { apiKey: [] }];

type HeaderParameter = { name: string; in: "header"; required: false; description: string; schema: { type: "string" } };
const header = (name: string, description: string): HeaderParameter => ({ name, in: "header", required: false, description, schema: { type: "string" } });

/**
 * Every endpoint is declared through this: createRoute plus the request policies every route shares (today
 * dry-run; the header parameters they read are documented here once, so the document says what each route does).
 */
export function defineRoute<P extends string, R extends Omit<RouteConfig, "path"> & { path: P }>(
  config: R & { dryRun?: boolean; changesState?: boolean; idempotencyKey?: boolean },
): R {
  // idempotencyKey: false where the header is refused (POST /v1/mcp keys each tool call by an argument instead).
  const { dryRun = false, changesState = config.method !== "get", idempotencyKey = config.method === "post" || config.method === "patch", ...route } = config;
  const write = route.method !== "get";
  const parameters: HeaderParameter[] = write
    ? [
        header(
          "Vauchflow-Dry-Run",
          dryRun
            ? "`true` previews the call: same status and body as the real call plus `dry_run: true` and `id: null`; nothing is persisted or fired."
            : "Not supported here: `true` answers 400 `dry_run_not_supported`.",
        ),
        header("Vauchflow-Agent-Context", "`agent=<id>;client=<name@version>;prompt_fp=<8hex>;conv=<id>`, at most 512 bytes; recorded on the audit entry."),
        ...(idempotencyKey
          ? [header("Idempotency-Key", "1–255 characters, scoped to the credential sending it. A retry with the same key, method, path and body replays the first answer (24 h) with `Idempotent-Replayed: true`, once the credential is authorized again for this call.")]
          : []),
      ]
    : [];
  return createRoute({
    ...route,
    parameters: [...((route as { parameters?: unknown[] }).parameters ?? []), ...parameters],
    middleware: [markChangesState(changesState), dryRunPolicy(dryRun)],
  } as unknown as R);
}
