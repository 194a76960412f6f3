import type { CredentialObject } from "./objects/credential";
import type { Scope } from "./domain/scopes";
import type { IdempotencyObject } from "./objects/idempotency";
import type { VoucherObject } from "./objects/voucher";
import type { CampaignObject } from "./objects/campaign";
import type { AuditEntry } from "./queues/audit";
import type { AgentOperation } from "./domain/approval-policy";
import type { WebhookMessage } from "./queues/webhook-dispatch";
import type { LedgerMessage } from "./domain/ledger";
import type { Speculation } from "./services/validate-preview";

export interface Env {
  DB: D1Database;
  CREDENTIALS: DurableObjectNamespace<CredentialObject>;
  BULK_QUEUE: Queue;
  /** Webhook delivery attempts (src/queues/webhooks.ts); its dead-letter queue has a consumer only. */
  WEBHOOK_QUEUE: Queue<WebhookMessage>;
  AUDIT_QUEUE: Queue<AuditEntry>;
  /** The audit queue's dead-letter queue; its consumer posts entries it still cannot write back to it. */
  AUDIT_DLQ: Queue<AuditEntry>;
  /** The ledger stream: the voucher objects' outboxes ship here, and its consumer writes D1 (src/queues/ledger.ts). */
  LEDGER_QUEUE: Queue<LedgerMessage>;
  /** The ledger queue's dead-letter queue: messages that could not be written; drained by src/queues/ledger-dead-letters.ts. */
  LEDGER_DLQ: Queue<unknown>;
  IDEMPOTENCY: DurableObjectNamespace<IdempotencyObject>;
  VOUCHERS: DurableObjectNamespace<VoucherObject>;
  CAMPAIGNS: DurableObjectNamespace<CampaignObject>;
  ENVIRONMENT: "staging" | "production";
  SIGNUP_ENABLED: string;
  JWT_SECRET: string;
  /** HMAC secret of the check every API key carries (lib/api-keys.ts). Changing it invalidates every issued key. */
  KEY_CHECK_SECRET: string;
  /**
   * Encrypts what must be kept but not readable at rest (lib/sealing.ts): stored answers that carry a secret (24 h)
   * and webhook signing secrets (for as long as their endpoint lives: changing it stops every delivery).
   */
  ENCRYPTION_KEY: string;
  /** Optional override of the PBKDF2 cost for new password hashes (default 100,000, the Workers maximum). */
  PASSWORD_KDF_ITERATIONS?: string;
}

export type KeyType = "secret" | "publishable" | "agent";
export type Role = "owner" | "admin" | "developer" | "viewer";

/** Who is calling: what the authentication middleware makes of a credential, and what every service checks. */
export type Actor =
  | {
      kind: "api_key";
      keyId: string;
      keyType: KeyType;
      teamId: string;
      scopes: Set<Scope>;
      allowedOrigins: string[];
      expiresAt: number | null;
      rateLimitPerMinute: number | null;
    }
  | {
      kind: "user";
      userId: string;
      sessionId: string;
      /** The team this request acts on: null when the user has none or must choose with X-Team-Id. */
      teamId: string | null;
      role: Role | null;
      scopes: Set<Scope>;
      teams: { id: string; role: Role }[];
    };

export type AgentContext = { agent: string; client: string | null; prompt_fp: string | null; conv: string | null };

/** Whose audit trail a request belongs to: known as soon as a key id or user is identified, even if then denied. */
export type AuditSubject = { teamId: string | null; credentialId: string };

export type AppEnv = {
  Bindings: Env;
  Variables: {
    requestId: string;
    actor: Actor;
    auditSubject: AuditSubject | undefined;
    agentContext: AgentContext | null;
    /** True only on an endpoint that supports dry-run, when the caller asked for it. */
    dryRun: boolean;
    /** The answer an Idempotency-Key replay hands out once the service verb calls ctx.authorize(). */
    storedAnswer: { status: number; body: string; contentType: string | null; teamId: string | null } | undefined;
    /** Set when the service verb authorized the request: the team it acts on (null for verbs outside a team). */
    authorizedTeam: string | null | undefined;
    /** Set by the matched route: whether a successful call changes state (and is audited). */
    changesState: boolean;
    /** A validate's voucher preview, asked while the key was being checked (services/validate-preview.ts). */
    validateSpeculation: Promise<Speculation | null> | undefined;
  };
};

/** The request a service verb serves, as an approval would store it. */
export type RequestRecord = {
  method: string;
  path: string;
  idempotencyKey: string | null;
  /** The body as sent (parsed JSON), read only when an approval stores it. */
  body: () => Promise<unknown>;
};

/** What an authorized write is, for the approval policy: the operation, and what a replay needs to run it again. */
export type AgentAction = {
  operation: AgentOperation;
  params?: Record<string, string>;
  input?: unknown;
  /** How many codes the call creates, when it creates codes (mass creations always wait). */
  codes?: number;
};

/** What a service verb receives besides its input. */
export type ServiceContext = {
  env: Env;
  actor: Actor;
  requestId: string;
  dryRun: boolean;
  agentContext: AgentContext | null;
  waitUntil: (promise: Promise<unknown>) => void;
  request: RequestRecord | null;
  /** Set while an approved agent request runs: the approval, and who decided it. */
  approval: { id: string; decidedBy: string } | null;
  /**
   * Every mutating verb calls this once its checks (scope, role, key type, power over the target) have passed and
   * before it changes anything, naming the team it acts on (null when none) and, for a write an agent can make,
   * the action. On an Idempotency-Key replay it throws, and the stored answer is sent instead; for an agent key
   * whose action the team's policy holds for a human, it stores the request and throws ApprovalQueued (202).
   */
  authorize: (teamId: string | null, action?: AgentAction) => Promise<void>;
};
