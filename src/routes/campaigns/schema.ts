import { z } from "@hono/zod-openapi";
import { Metadata, patchBody, Timestamp } from "../shared-schema";
import { Currency, DiscountSchema, RulesSchema } from "../vouchers/schema";

const CodeChars = /^[A-Za-z0-9_-]*$/;

export const CodePatternSchema = z
  .strictObject({
    prefix: z.string().max(20).regex(CodeChars, "only A–Z, 0–9, - and _").default(""),
    suffix: z.string().max(20).regex(CodeChars, "only A–Z, 0–9, - and _").default(""),
    length: z.number().int().min(1).max(32).default(8).openapi({ description: "Random characters, prefix and suffix not counted." }),
    charset: z.enum(["alphanumeric", "alphabetic", "numeric", "unambiguous", "custom"]).default("unambiguous"),
    characters: z
      .string()
      .min(2)
      .max(64)
      .regex(/^[A-Za-z0-9_-]+$/, "only A–Z, 0–9, - and _")
      .optional()
      .openapi({ description: "With charset custom: the characters to draw from." }),
  })
  .superRefine((p, ctx) => {
    if (p.charset === "custom" && (!p.characters || new Set(p.characters.toUpperCase()).size < 2)) {
      ctx.addIssue({ code: "custom", path: ["characters"], message: "required with charset custom: at least 2 distinct characters" });
    }
    if (p.charset !== "custom" && p.characters) ctx.addIssue({ code: "custom", path: ["characters"], message: "only with charset custom" });
    const total = p.prefix.length + p.length + p.suffix.length;
    if (total < 3 || total > 64) ctx.addIssue({ code: "custom", path: ["length"], message: "prefix + length + suffix must be 3–64 characters" });
  })
  .transform((p) => ({ ...p, prefix: p.prefix.toUpperCase(), suffix: p.suffix.toUpperCase(), ...(p.characters ? { characters: p.characters.toUpperCase() } : {}) }))
  .openapi("CodePattern");

const BudgetCap = z.strictObject({ amount: z.number().int().min(1) }).openapi("BudgetCap", { description: "Caps the total discount (gift cards: total spent)." });

export const CreateCampaignBody = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    type: z.enum(["discount", "gift_card"]).default("discount"),
    discount: DiscountSchema.optional(),
    gift_card: z.strictObject({ amount: z.number().int().min(1) }).optional(),
    currency: Currency.optional(),
    rules: RulesSchema.optional(),
    redemption_limit_per_voucher: z.number().int().min(1).nullable().optional(),
    per_customer_limit: z.number().int().min(1).nullable().optional().openapi({ description: "Counts across all of the campaign's vouchers." }),
    budget_cap: BudgetCap.nullable().optional(),
    starts_at: Timestamp.nullable().optional(),
    ends_at: Timestamp.nullable().optional(),
    code_pattern: CodePatternSchema.optional(),
    metadata: Metadata.optional(),
  })
  .superRefine((v, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
    if (v.type === "discount" && !v.discount) issue("discount", "required for a discount campaign");
    if (v.type === "gift_card" && !v.gift_card) issue("gift_card", "required for a gift_card campaign");
    if (v.type === "gift_card" && v.discount) issue("discount", "only for discount campaigns");
    if (v.type === "discount" && v.gift_card) issue("gift_card", "only for gift_card campaigns");
    if ((v.type === "gift_card" || v.discount?.type === "amount" || v.budget_cap) && !v.currency) issue("currency", "required for amounts of money");
    if (v.starts_at && v.ends_at && Date.parse(v.starts_at) >= Date.parse(v.ends_at)) issue("ends_at", "must be after starts_at");
  })
  .openapi("CreateCampaignRequest");

export const PauseBody = z.strictObject({ paused: z.boolean() }).openapi("PauseCampaignRequest");

export const Campaign = z
  .object({
    id: z.string().nullable().openapi({ example: "cmp_01JD…" }),
    object: z.literal("campaign"),
    name: z.string(),
    status: z.enum(["active", "paused", "scheduled", "ended"]),
    type: z.enum(["discount", "gift_card"]),
    discount: z.record(z.string(), z.unknown()).nullable(),
    gift_card: z.object({ amount: z.number().int() }).nullable(),
    currency: z.string().nullable(),
    rules: z.record(z.string(), z.unknown()),
    redemption_limit_per_voucher: z.number().int().nullable(),
    per_customer_limit: z.number().int().nullable(),
    budget_cap: z.object({ amount: z.number().int() }).nullable(),
    starts_at: z.string().nullable(),
    ends_at: z.string().nullable(),
    code_pattern: z.record(z.string(), z.unknown()),
    metadata: Metadata,
    created_at: z.string(),
    updated_at: z.string(),
    dry_run: z.literal(true).optional(),
  })
  .openapi("Campaign");

export const CampaignWithStats = Campaign.extend({
  stats: z.object({
    vouchers_count: z.number().int(),
    vouchers_redeemed_count: z.number().int(),
    redemptions_count: z.number().int(),
    discount_total: z.number().int(),
    budget_remaining: z.number().int().nullable(),
  }),
}).openapi("CampaignWithStats");

export const PatchCampaignBody = patchBody(
  { name: z.string().trim().min(1).max(200).optional(), ends_at: Timestamp.nullable().optional(), budget_cap: BudgetCap.nullable().optional() },
  CampaignWithStats,
).openapi("PatchCampaignRequest", {
  description: "Only name, ends_at and budget_cap; the campaign's other fields answer 422 unsupported_field, unknown fields 400.",
});

export const CampaignParams = z.object({ id: z.string().max(64).openapi({ param: { name: "id", in: "path" }, example: "cmp_01JD…" }) });
export const ListCampaignsQuery = z.object({ status: z.enum(["active", "paused", "scheduled", "ended"]).optional() });
