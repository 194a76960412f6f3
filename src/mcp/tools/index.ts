// Every MCP tool, one table per domain. API.md §8 also names get_analytics_overview (read:analytics),
// create_webhook and delete_webhook (write:webhooks): their services do not exist yet. Each becomes one entry —
// in an analytics.ts and a webhooks.ts table listed here — when its service lands; the two webhook writes are
// already agent operations (domain/approval-policy.ts) and run through services/operations.ts once it has them.
import type { Tool } from "../tool";
import { campaignTools } from "./campaigns";
import { customerTools } from "./customers";
import { voucherTools } from "./vouchers";

export const TOOLS: readonly Tool[] = [...campaignTools, ...voucherTools, ...customerTools];
