// Which writes of an agent key run at once and which wait for a human (API.md §8). Reads always run; secret keys
// and users never wait. A team may change any rule and the time a request waits before it expires.

/** Every write an agent key can make, by the name its approval and its MCP tool use. */
export const AGENT_OPERATIONS = [
  "create_voucher",
  "update_voucher",
  "bulk_create_vouchers",
  "validate_voucher",
  "redeem_voucher",
  "rollback_redemption",
  "reserve_voucher",
  "release_reservation",
  "create_campaign",
  "update_campaign",
  "pause_campaign",
  "create_customer",
  "delete_customer",
  "create_webhook",
  "update_webhook",
  "delete_webhook",
  "rotate_webhook_secret",
  "send_webhook_test_event",
  "retry_webhook_delivery",
] as const;
export type AgentOperation = (typeof AGENT_OPERATIONS)[number];
export type Decision = "execute" | "approve";
export type ApprovalRules = Record<AgentOperation, Decision>;

/**
 * The contract's defaults: single vouchers, validate, redeem and rollback run; mass and campaign-wide changes wait.
 * Reservations are the checkout's own steps, like redeem: they run. Changing where the team's events go or who can
 * verify them waits like creating an endpoint does (a new URL or event list redirects the stream; a new secret is
 * a new signer); a test event or a retry changes nothing and reaches only the team's own endpoint, so it runs.
 */
export const DEFAULT_RULES: ApprovalRules = {
  create_voucher: "execute",
  update_voucher: "execute",
  bulk_create_vouchers: "approve",
  validate_voucher: "execute",
  redeem_voucher: "execute",
  rollback_redemption: "execute",
  reserve_voucher: "execute",
  release_reservation: "execute",
  create_campaign: "approve",
  update_campaign: "approve",
  pause_campaign: "approve",
  create_customer: "execute",
  delete_customer: "approve",
  create_webhook: "approve",
  update_webhook: "approve",
  delete_webhook: "approve",
  rotate_webhook_secret: "approve",
  send_webhook_test_event: "execute",
  retry_webhook_delivery: "execute",
};

export const DEFAULT_TTL_SECONDS = 15 * 60;
export const MIN_TTL_SECONDS = 60;
export const MAX_TTL_SECONDS = 7 * 24 * 60 * 60;

/** Voucher creations of more codes than this always wait, whatever the rule for single vouchers says. */
export const MASS_CREATION_CODES = 100;

export type ApprovalPolicy = { rules: ApprovalRules; ttlSeconds: number };

/** Whether an agent's call waits for a human. `codes` is how many codes the call would create, when it creates any. */
export function decide(policy: ApprovalPolicy, operation: AgentOperation, codes = 0): Decision {
  if (codes > MASS_CREATION_CODES) return "approve";
  return policy.rules[operation];
}

/** A stored policy's rules over the defaults, so operations added later get their default. */
export function withDefaults(stored: Partial<Record<string, Decision>> | null, ttlSeconds: number | null): ApprovalPolicy {
  const rules = { ...DEFAULT_RULES };
  for (const operation of AGENT_OPERATIONS) {
    const value = stored?.[operation];
    if (value === "execute" || value === "approve") rules[operation] = value;
  }
  return { rules, ttlSeconds: ttlSeconds ?? DEFAULT_TTL_SECONDS };
}
