// Shared pieces of every route declaration: the router factory with the validation hook, and error responses
// derived from ERROR_CODES so the document cannot drift from what the code answers.
import { createRoute, OpenAPIHono, type RouteConfig, z } from "@hono/zod-openapi";
import type { AgentOperation } from "../domain/approval-policy";
import type { AppEnv } from "../env";
import { ERROR_CODES, type ErrorCode, validationHook } from "../errors";
import { dryRunPolicy } from "../middleware/dry-run";
import { markChangesState } from "../middleware/audit";
import { ApprovalQueuedBody } from "./agent-approvals/schema";

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

type ErrorResponse = { description: string; content: { "application/json": { schema: z.ZodTypeAny } } };
type ErrorResponses = Record<number, ErrorResponse>;

/** The codes each error response was built from, so defineRoute can add those the shared pipeline answers. */
const codesOf = new WeakMap<object, ErrorCode[]>();

function buildErrorResponses(codes: Iterable<ErrorCode>): ErrorResponses {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set(codes)) {
    const status = ERROR_CODES[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const out: ErrorResponses = {};
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
    const response: ErrorResponse = {
      description: `${STATUS_TEXT[status] ?? "Error"}: ${list.map((c) => `\`${c}\``).join(", ")}`,
      content: { "application/json": { schema: ErrorSchema.extend({ error: z.enum(list as [string, ...string[]]) }) } },
    };
    codesOf.set(response, list);
    out[status] = response;
  }
  return out;
}

/** OpenAPI error responses for the given codes, grouped by status, each listing its possible `error` values. */
export function errorResponses(codes: ErrorCode[], options: { authenticated?: boolean } = {}): ErrorResponses {
  return buildErrorResponses([...(options.authenticated === false ? (["invalid_request", "invalid_json", "payload_too_large", "internal_error"] as ErrorCode[]) : COMMON), ...codes]);
}

export function jsonContent<T extends z.ZodTypeAny>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } };
}

export function jsonBody<T extends z.ZodTypeAny>(schema: T) {
  return { body: { required: true, content: { "application/json": { schema } } } };
}

type Security = Record<string, string[]>[];
/** A credential in either header. */
export const BEARER: Security = [{ bearer: [] }, { apiKey: [] }];
/** Reachable without a credential, said explicitly so a missing declaration cannot pass for "public". */
export const PUBLIC: Security = [];

type HeaderParameter = { name: string; in: "header"; required: false; description: string; schema: { type: "string" } };
const header = (name: string, description: string): HeaderParameter => ({ name, in: "header", required: false, description, schema: { type: "string" } });

/** The codes the shared request pipeline can answer on a route, besides those the route declares. */
type Policy = { method: string; dryRun: boolean; authenticated: boolean; underV1: boolean; idempotencyKey: boolean };

function pipelineCodes(options: Policy): ErrorCode[] {
  const { method, dryRun, authenticated, underV1, idempotencyKey } = options;
  const codes: ErrorCode[] = ["invalid_header", "internal_error"]; // Vauchflow-Dry-Run neither true nor false, anywhere
  if (method !== "get" && !dryRun) codes.push("dry_run_not_supported");
  if (!underV1) return codes;
  codes.push("invalid_agent_context");
  if (authenticated) codes.push("rate_limit_exceeded");
  if (idempotencyKey) codes.push("idempotency_key_mismatch", "idempotency_key_in_use");
  return codes;
}

function headerParameters(options: Policy): HeaderParameter[] {
  const { method, dryRun, underV1, idempotencyKey, authenticated } = options;
  const dryRunText =
    method === "get"
      ? "Reads ignore `true` and `false`; any other value answers 400 `invalid_header`."
      : dryRun
        ? "`true` previews the call: same status and body as the real call plus `dry_run: true` and `id: null`; nothing is persisted or fired."
        : "Not supported here: `true` answers 400 `dry_run_not_supported`.";
  return [
    header("Vauchflow-Dry-Run", dryRunText),
    ...(underV1
      ? [header("Vauchflow-Agent-Context", "`agent=<id>;client=<name@version>;prompt_fp=<8hex>;conv=<id>`, at most 512 bytes; recorded on the audit entry.")]
      : []),
    ...(authenticated
      ? [header("X-Team-Id", "The team to act on (`team_…`). A dashboard user in several teams must send it (else 400 `team_required`); with one team it is optional. A team the caller is not in → 403 `team_access_denied`; an API key may name only its own team.")]
      : []),
    ...(idempotencyKey
      ? [header("Idempotency-Key", "1–255 visible ASCII characters (no spaces), scoped to the credential sending it. A retry with the same key, method, path and body replays the first answer (24 h) with `Idempotent-Replayed: true`, once the credential is authorized again for this call.")]
      : []),
  ];
}

type HeaderObject = { description: string; schema: { type: "string" } };
const responseHeader = (description: string): HeaderObject => ({ description, schema: { type: "string" } });
const REQUEST_ID = { "Request-Id": responseHeader("The request's id (`req_…`), as in error bodies and audit entries. On every response.") };
// Sent once the credential is authenticated: not on what is refused before (a malformed agent context, a body too large).
const RATE_LIMIT = {
  "RateLimit-Policy": responseHeader('`"default";q=<limit>;w=60`: the credential\'s limit per 60-second window. On every answer once the credential is authenticated.'),
  RateLimit: responseHeader('`"default";r=<remaining>;t=<seconds until the window resets>`. On every answer once the credential is authenticated.'),
};
const RETRY_AFTER = { "Retry-After": responseHeader("Seconds until a new request can be admitted.") };
const REPLAYED = { "Idempotent-Replayed": responseHeader("`true` when this is the stored answer to an earlier request with the same `Idempotency-Key`.") };

/** The response headers the shared pipeline adds (API.md §1, §3, §4): every response has a Request-Id, and so on. */
function pipelineHeaders(status: number, options: Policy): Record<string, HeaderObject> {
  return {
    ...REQUEST_ID,
    ...(options.authenticated && status !== 401 ? RATE_LIMIT : {}),
    ...(status === 429 ? RETRY_AFTER : {}),
    // Any answer but a 5xx may be kept and replayed.
    ...(options.idempotencyKey && status < 500 ? REPLAYED : {}),
  };
}

function withPipelineHeaders(responses: Record<string, unknown>, options: Policy): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(responses).map(([status, response]) => {
      const declared = (response as { headers?: Record<string, HeaderObject> }).headers;
      return [status, { ...(response as object), headers: { ...pipelineHeaders(Number(status), options), ...declared } }];
    }),
  );
}

type RouteResponse = RouteConfig["responses"][string];

/**
 * The 202 an agent key gets when the team's approval policy holds its call (API.md §8). Any of these operations may
 * be held (a team may change every rule), so each says so; where 202 already means something (a job, a queued
 * event or delivery), the answer is either.
 */
function heldResponse(operation: AgentOperation, own: RouteResponse | undefined): RouteResponse {
  const held = `an agent key's request that the team's approval policy holds for a human (\`${operation}\`): nothing has changed yet; follow it at GET /v1/agent-approvals/{approval_id}`;
  const mine = own as { description?: string; content?: Record<string, { schema?: unknown }> } | undefined;
  const schema = mine?.content?.["application/json"]?.schema;
  return {
    description: mine?.description ? `${mine.description}; or ${held}` : `Held for approval: ${held}`,
    content: { "application/json": { schema: schema instanceof z.ZodType ? z.union([schema, ApprovalQueuedBody]) : ApprovalQueuedBody } },
  };
}

/**
 * Every endpoint is declared through this: createRoute plus the request policies every route shares (dry-run;
 * under /v1 also agent context, rate limits and idempotency). The headers they read and add and the errors they
 * answer are added here once, so the document says what each route does. `operationId` (stable camelCase: SDK method names)
 * and `security` are required so no route can leave them out. `underV1: false` for the few routes outside /v1;
 * `idempotencyKey: false` where the header is refused (POST /v1/mcp keys each tool call by an argument instead);
 * `agentOperation` names the agent write the route is, which adds its 202 answer when held for approval.
 */
export function defineRoute<P extends string, R extends Omit<RouteConfig, "path"> & { path: P }>(
  config: R & {
    operationId: string;
    security: Security;
    dryRun?: boolean;
    changesState?: boolean;
    underV1?: boolean;
    idempotencyKey?: boolean;
    agentOperation?: AgentOperation;
  },
): R {
  const { dryRun = false, changesState = config.method !== "get", underV1 = true, idempotencyKey: idempotent, agentOperation, ...route } = config;
  const idempotencyKey = underV1 && (idempotent ?? (route.method === "post" || route.method === "patch"));
  const policy = { method: route.method, dryRun, underV1, idempotencyKey, authenticated: route.security.length > 0 };
  const entries = Object.entries(route.responses);
  const declared = entries.flatMap(([, response]) => codesOf.get(response) ?? []);
  const success: Record<string, RouteResponse> = Object.fromEntries(entries.filter(([, response]) => !codesOf.has(response)));
  if (agentOperation) success[202] = heldResponse(agentOperation, success[202]);
  const responses = { ...success, ...buildErrorResponses([...declared, ...pipelineCodes(policy)]) };
  return createRoute({
    ...route,
    responses: withPipelineHeaders(responses, policy),
    parameters: [...((route as { parameters?: unknown[] }).parameters ?? []), ...headerParameters(policy)],
    middleware: [markChangesState(changesState), dryRunPolicy(dryRun)],
  } as unknown as R);
}
