// Every MCP tool, one table per domain. API.md §8 also names get_analytics_overview (read:analytics): it becomes
// one entry in an analytics.ts table listed here when the analytics service lands.
import type { Tool } from "../tool";
import { campaignTools } from "./campaigns";
import { customerTools } from "./customers";
import { voucherTools } from "./vouchers";
import { webhookTools } from "./webhooks";

export const TOOLS: readonly Tool[] = [...campaignTools, ...voucherTools, ...customerTools, ...webhookTools];
