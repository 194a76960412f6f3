import { z } from "@hono/zod-openapi";
import { AGENT_OPERATIONS, MAX_TTL_SECONDS, MIN_TTL_SECONDS } from "../../domain/approval-policy";

const STATUSES = ["pending_approval", "approved", "executed", "failed", "rejected", "expired"] as const;

export const ApprovalParams = z.object({
  id: z.string().regex(/^apr_[0-9A-HJKMNP-TV-Z]{26}$/, "an approval id (apr_…)").openapi({ param: { name: "id", in: "path" }, example: "apr_01JD7Z4N3V6Q8R2T5W9Y0B1C2D" }),
});

export const ListApprovalsQuery = z.object({
  status: z.enum(STATUSES).optional().openapi({ description: "Only approvals in this status." }),
});

export const Approval = z
  .object({
    id: z.string(),
    object: z.literal("agent_approval"),
    status: z.enum(STATUSES),
    operation: z.enum(AGENT_OPERATIONS).openapi({ description: "The agent write this request is (its MCP tool, where there is one, has the same name)." }),
    method: z.string(),
    path: z.string(),
    body: z.unknown().openapi({ description: "The body as the agent sent it." }),
    agent_key_id: z.string(),
    agent_context: z.object({ agent: z.string(), client: z.string().nullable(), prompt_fp: z.string().nullable(), conv: z.string().nullable() }).nullable(),
    created_at: z.string(),
    expires_at: z.string(),
    decided_by: z.string().nullable().openapi({ description: "The user or secret key that approved or rejected it." }),
    decided_at: z.string().nullable(),
    reason: z.string().nullable().openapi({ description: "The reason given with a rejection." }),
    execution_result: z
      .object({ status: z.number().int(), body: z.unknown() })
      .nullable()
      .openapi({ description: "What running the request as the agent answered (status and body), once approved." }),
  })
  .openapi("AgentApproval");

export const ApprovalQueuedBody = z
  .object({ approval_id: z.string(), status: z.literal("pending_approval"), expires_at: z.string() })
  .openapi("ApprovalQueued", { description: "An agent key's request held for a human by the team's approval policy (API.md §8)." });

export const RejectBody = z.object({ reason: z.string().max(500).optional() }).strict();

const Decision = z.enum(["execute", "approve"]);

export const ApprovalPolicyBody = z
  .object({
    rules: z
      .object(Object.fromEntries(AGENT_OPERATIONS.map((op) => [op, Decision.optional()])) as Record<(typeof AGENT_OPERATIONS)[number], z.ZodOptional<typeof Decision>>)
      .strict()
      .optional()
      .openapi({ description: "Per operation: `execute` runs an agent's call at once, `approve` holds it for a human. Operations left out take their default." }),
    ttl_seconds: z.number().int().min(MIN_TTL_SECONDS).max(MAX_TTL_SECONDS).optional().openapi({ description: "How long a held request waits for a decision (default 900)." }),
  })
  .strict();

export const ApprovalPolicy = z
  .object({
    object: z.literal("approval_policy"),
    rules: z.record(z.enum(AGENT_OPERATIONS), Decision),
    ttl_seconds: z.number().int(),
    updated_at: z.string().nullable(),
    updated_by: z.string().nullable(),
  })
  .openapi("ApprovalPolicy");
