// Campaign tools: the same verbs and zod schemas as the routes under /v1/campaigns. Under the default approval
// policy an agent key's create, update and pause wait for a human.
import { z } from "zod";
import { paginationQuery } from "../../lib/pagination";
import { getCampaign, listCampaigns } from "../../services/campaigns";
import { CampaignParams, CreateCampaignBody, ListCampaignsQuery, PatchCampaignBody, PauseBody } from "../../routes/campaigns/schema";
import { defineTool, IdempotencyKeyArg, segment } from "../tool";

const HELD = "An agent key's call may be held for a human's approval (the team's policy): the result then names the approval id, and nothing changes until it is approved.";

export const campaignTools = [
  defineTool({
    name: "list_campaigns",
    title: "List campaigns",
    description: "The team's campaigns, newest first, optionally by status. Pass next_cursor back as cursor for the next page.",
    scope: "read:campaigns",
    annotations: { readOnlyHint: true, openWorldHint: false },
    input: z.strictObject({ ...ListCampaignsQuery.shape, ...paginationQuery("cmp").shape }),
    run: (ctx, args) => listCampaigns(ctx, args),
  }),
  defineTool({
    name: "get_campaign",
    title: "Get a campaign",
    description: "A campaign by id (cmp_…) with live stats: vouchers, redemptions, discount total and budget remaining.",
    scope: "read:campaigns",
    annotations: { readOnlyHint: true, openWorldHint: false },
    input: z.strictObject(CampaignParams.shape),
    run: (ctx, args) => getCampaign(ctx, args.id),
  }),
  defineTool({
    name: "create_campaign",
    title: "Create a campaign",
    description: `Creates a campaign: discount or gift card, rules, limits, budget cap, dates and code pattern. ${HELD}`,
    scope: "write:campaigns",
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    input: CreateCampaignBody.safeExtend({ idempotency_key: IdempotencyKeyArg }),
    rest: ({ idempotency_key: _, ...body }) => ({ method: "POST", path: "/v1/campaigns", body }),
  }),
  defineTool({
    name: "update_campaign",
    title: "Update a campaign",
    description: `Changes a campaign's name, ends_at or budget_cap (only these; any other field is refused with unsupported_field). ${HELD}`,
    scope: "write:campaigns",
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    input: z.strictObject({ ...PatchCampaignBody.shape, ...CampaignParams.shape }),
    rest: ({ id, ...body }) => ({ method: "PATCH", path: `/v1/campaigns/${segment(id)}`, params: { id }, body }),
  }),
  defineTool({
    name: "pause_campaign",
    title: "Pause or resume a campaign",
    description: `paused: true stops every voucher of the campaign on its very next validate or redeem; false resumes. ${HELD}`,
    scope: "write:campaigns",
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    input: PauseBody.safeExtend(CampaignParams.shape),
    rest: ({ id, ...body }) => ({ method: "POST", path: `/v1/campaigns/${segment(id)}/pause`, params: { id }, body }),
  }),
];
