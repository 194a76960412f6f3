import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ZodError } from "zod";
import type { AppEnv } from "./env";

/** Every error code the API can answer with, its status and default message. The OpenAPI document is derived from it. */
export const ERROR_CODES = {
  invalid_request: { status: 400, message: "The request is invalid." },
  invalid_json: { status: 400, message: "The request body is not valid JSON." },
  invalid_header: { status: 400, message: "A request header has an invalid value." },
  dry_run_not_supported: { status: 400, message: "This endpoint does not support Vauchflow-Dry-Run." },
  invalid_agent_context: { status: 400, message: "Vauchflow-Agent-Context is malformed or longer than 512 bytes." },
  team_required: { status: 400, message: "You belong to several teams: send X-Team-Id to choose one." },
  invalid_api_key: { status: 401, message: "The provided API key is invalid or expired." },
  invalid_credentials: { status: 401, message: "The email or password is incorrect." },
  invalid_refresh_token: { status: 401, message: "The refresh token is invalid, expired or already used." },
  insufficient_scope: { status: 403, message: "This credential lacks the scope this request needs." },
  insufficient_role: { status: 403, message: "Your role in this team does not allow this request." },
  key_type_not_allowed: { status: 403, message: "This type of credential cannot make this request." },
  origin_not_allowed: { status: 403, message: "This origin is not allowed for this publishable key." },
  team_access_denied: { status: 403, message: "You are not a member of this team." },
  signup_disabled: { status: 403, message: "Sign-up is disabled on this deployment." },
  not_found: { status: 404, message: "The requested resource does not exist." },
  voucher_not_found: { status: 404, message: "No voucher with this code exists." },
  duplicate_code: { status: 409, message: "A voucher with this code already exists in this team." },
  duplicate_redemption: { status: 409, message: "This order has already redeemed this voucher." },
  redemption_limit_reached: { status: 409, message: "This voucher has reached its redemption limit." },
  customer_limit_reached: { status: 409, message: "This customer has reached the voucher's per-customer limit." },
  already_rolled_back: { status: 409, message: "This redemption has already been rolled back." },
  email_taken: { status: 409, message: "An account with this email already exists." },
  already_member: { status: 409, message: "This user is already a member of the team." },
  last_owner: { status: 409, message: "The last owner of a team cannot be removed." },
  duplicate_customer: { status: 409, message: "A customer with this id already exists." },
  idempotency_key_in_use: { status: 409, message: "A request with this Idempotency-Key is still being processed: retry shortly." },
  approval_not_pending: { status: 409, message: "This approval has already been decided or has expired." },
  webhook_disabled: { status: 409, message: "This webhook endpoint is disabled: enable it first." },
  delivery_not_dead: { status: 409, message: "Only a dead delivery can be retried." },
  reservation_not_held: { status: 409, message: "This reservation is no longer held: it was redeemed, released or has expired." },
  payload_too_large: { status: 413, message: "The request body is larger than 1 MiB." },
  unsupported_operation: { status: 422, message: "This operation is not supported for this resource." },
  code_space_too_small: { status: 422, message: "The code pattern cannot hold this many codes with a safe margin." },
  unsupported_field: { status: 422, message: "This field cannot be changed." },
  webhook_url_not_allowed: { status: 422, message: "This URL cannot receive webhooks." },
  voucher_not_eligible: { status: 422, message: "The voucher cannot be redeemed for this order." },
  reservation_mismatch: { status: 422, message: "The request contradicts the reservation it names." },
  rollback_window_expired: { status: 422, message: "Redemptions can only be rolled back within 30 minutes." },
  idempotency_key_mismatch: { status: 422, message: "This Idempotency-Key was used with a different method, path or body." },
  rate_limit_exceeded: { status: 429, message: "Too many requests: the rate limit for this credential is spent." },
  internal_error: { status: 500, message: "An internal error occurred." },
} as const satisfies Record<string, { status: ContentfulStatusCode; message: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;
export type ErrorDetail = { path: string; message: string };

export class ApiError extends Error {
  readonly status: ContentfulStatusCode;
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly details?: ErrorDetail[],
    readonly headers?: Record<string, string>,
    /** Extra top-level fields of the error body, e.g. the `reason` of voucher_not_eligible. */
    readonly extra?: Record<string, unknown>,
  ) {
    super(message ?? ERROR_CODES[code].message);
    this.status = ERROR_CODES[code].status;
  }
}

/** A stored Idempotency-Key answer, handed out once the request was authorized again (middleware/idempotency.ts). */
export class StoredAnswerReplay extends Error {
  constructor(readonly answer: { status: number; body: string; contentType: string | null; teamId: string | null }) {
    super("idempotent replay");
  }

  toResponse(c: Context<AppEnv>): Response {
    c.header("Idempotent-Replayed", "true");
    if (this.answer.contentType) c.header("Content-Type", this.answer.contentType);
    return c.newResponse(this.answer.status === 204 ? null : this.answer.body, this.answer.status as ContentfulStatusCode);
  }
}

/** An agent's request the team's policy holds for a human: answered 202 with the approval (API.md §8). */
export class ApprovalQueued extends Error {
  constructor(readonly approval: { approval_id: string; status: "pending_approval"; expires_at: string }) {
    super("approval queued");
  }
}

export function errorBody(code: ErrorCode, message: string, requestId: string, details?: ErrorDetail[], extra?: Record<string, unknown>) {
  return { ...extra, error: code, message, request_id: requestId, ...(details?.length ? { details } : {}) };
}

export function zodDetails(error: ZodError): ErrorDetail[] {
  return error.issues.flatMap((issue) => {
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({ path: [...issue.path, key].join("."), message: "unknown field" }));
    }
    // A map key that fails its own schema: say why (zod's message is only "Invalid key in record").
    if (issue.code === "invalid_key") return issue.issues.map((inner) => ({ path: issue.path.join("."), message: inner.message }));
    return [{ path: issue.path.join("."), message: issue.message }];
  });
}

export function validationError(error: ZodError, target: string): ApiError {
  const what = target === "json" ? "body" : target === "query" ? "query string" : target;
  return new ApiError("invalid_request", `The request ${what} failed validation.`, zodDetails(error));
}

/** The zod-openapi hook: schema failures become the one error shape. */
export function validationHook(result: { success: boolean; error?: unknown; target: string }) {
  if (!result.success) throw validationError(result.error as ZodError, result.target);
}

function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof HTTPException) {
    if (err.status === 413) return new ApiError("payload_too_large");
    if (err.status === 400) return new ApiError("invalid_json", "The request body is not valid JSON.");
    if (err.status === 415) return new ApiError("invalid_header", "Content-Type must be application/json.", [{ path: "Content-Type", message: "must be application/json" }]);
    if (err.status === 401) return new ApiError("invalid_api_key");
    if (err.status === 404) return new ApiError("not_found");
  }
  return new ApiError("internal_error");
}

export function onError(err: unknown, c: Context<AppEnv>) {
  if (err instanceof StoredAnswerReplay) return err.toResponse(c);
  if (err instanceof ApprovalQueued) return c.json(err.approval, 202);
  const apiError = toApiError(err);
  const requestId = c.get("requestId") ?? "req_unknown";
  if (apiError.code === "internal_error") {
    // Name and message only: stacks and request bodies stay out of logs.
    const name = err instanceof Error ? err.name : typeof err;
    const message = err instanceof Error ? err.message : "non-error thrown";
    console.error(JSON.stringify({ level: "error", request_id: requestId, error: name, message }));
  }
  for (const [name, value] of Object.entries(apiError.headers ?? {})) c.header(name, value);
  return c.json(errorBody(apiError.code, apiError.message, requestId, apiError.details, apiError.extra), apiError.status);
}

export function notFound(c: Context<AppEnv>) {
  return c.json(errorBody("not_found", "No route matches this method and path.", c.get("requestId")), 404);
}
