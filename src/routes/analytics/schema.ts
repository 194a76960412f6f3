import { z } from "@hono/zod-openapi";
import { FRAUD_TYPES } from "../../domain/fraud";
import { TimeWindowQuery } from "../shared-schema";

export const WindowQuery = TimeWindowQuery;

export const SeriesQuery = TimeWindowQuery.extend({
  interval: z.enum(["hour", "day"]).default("day").openapi({ description: "Bucket size (UTC); default `day`." }),
});

export const CampaignAnalyticsParams = z.object({ id: z.string().max(64).openapi({ param: { name: "id", in: "path" }, example: "cmp_01JD…" }) });

const Validations = z.object({ count: z.number().int(), valid: z.number().int(), invalid: z.number().int() });
const Redemptions = z.object({
  count: z.number().int().openapi({ description: "Redemptions made in the window that still stand." }),
  rolled_back: z.number().int().openapi({ description: "Redemptions made in the window and rolled back since." }),
});

export const Overview = z
  .object({
    object: z.literal("analytics_overview"),
    from: z.string().nullable().openapi({ description: "The window actually counted: whole UTC hours." }),
    to: z.string().nullable(),
    campaigns: z.object({ total: z.number().int(), active: z.number().int(), paused: z.number().int() }),
    vouchers: z.object({ total: z.number().int(), active: z.number().int() }),
    redemptions: Redemptions,
    discount_total: z.number().int().openapi({ description: "Minor units, standing redemptions only." }),
    validations: Validations,
    redemption_rate: z.number().openapi({ description: "Standing redemptions over valid validations (0 when there are none)." }),
  })
  .openapi("AnalyticsOverview");

export const CampaignAnalytics = z
  .object({
    object: z.literal("campaign_analytics"),
    campaign_id: z.string(),
    interval: z.enum(["hour", "day"]),
    from: z.string(),
    to: z.string(),
    totals: z.object({ validations: Validations, redemptions: Redemptions, discount_total: z.number().int(), redemption_rate: z.number() }),
    series: z.array(
      z.object({
        t: z.string().openapi({ description: "Start of the bucket." }),
        validations: z.number().int(),
        redemptions: z.number().int().openapi({ description: "Made in the bucket and still standing." }),
        rollbacks: z.number().int().openapi({ description: "Made in the bucket and rolled back since." }),
        discount_amount: z.number().int(),
      }),
    ),
  })
  .openapi("CampaignAnalytics");

export const FraudAlert = z
  .object({
    id: z.string(),
    type: z.enum(FRAUD_TYPES),
    severity: z.enum(["low", "medium", "high"]),
    subject: z.string().openapi({ description: "What the alert is about: the customer id (customer_velocity) or the API key id (code_enumeration, redemption_failure_burst)." }),
    count: z.number().int(),
    window_seconds: z.number().int(),
    first_seen: z.string(),
    last_seen: z.string(),
  })
  .openapi("FraudAlert");

const Threshold = z.strictObject({
  count: z.number().int().min(1).max(1_000_000),
  window_seconds: z.number().int().min(10).max(86_400),
});

const PartialThreshold = Threshold.partial().optional();

export const FraudSettingsBody = z
  .strictObject({ customer_velocity: PartialThreshold, code_enumeration: PartialThreshold, redemption_failure_burst: PartialThreshold })
  .openapi("FraudSettingsRequest");

export const FraudSettings = z
  .object({ object: z.literal("fraud_settings"), customer_velocity: Threshold, code_enumeration: Threshold, redemption_failure_burst: Threshold })
  .openapi("FraudSettings");
