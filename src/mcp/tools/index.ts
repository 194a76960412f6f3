// Every MCP tool of API.md §8, one table per domain.
import type { Tool } from "../tool";
import { analyticsTools } from "./analytics";
import { campaignTools } from "./campaigns";
import { customerTools } from "./customers";
import { voucherTools } from "./vouchers";
import { webhookTools } from "./webhooks";

export const TOOLS: readonly Tool[] = [...campaignTools, ...voucherTools, ...customerTools, ...webhookTools, ...analyticsTools];
