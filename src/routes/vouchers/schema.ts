import { z } from "@hono/zod-openapi";
import {
  DEFAULT_TTL_SECONDS as DEFAULT_RESERVATION_TTL,
  MAX_TTL_SECONDS as MAX_RESERVATION_TTL,
  MIN_TTL_SECONDS as MIN_RESERVATION_TTL,
} from "../../domain/reservations";
import { itemsTotal, REASONS } from "../../domain/voucher-rules";
import { CustomerId, Metadata, patchBody, Timestamp } from "../shared-schema";

export const Code = z
  .string()
  .trim()
  .min(3)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, "must be 3–64 characters of A–Z, 0–9, - and _")
  .openapi({ example: "SUMMER-7K2P9Q", description: "Matched case-insensitively; stored upper-case." });
/** The runtime's list of ISO-4217 currencies in use: three letters alone (QQQ) name no currency. */
const ISO_CURRENCIES = new Set(Intl.supportedValuesOf("currency"));
export const Currency = z
  .string()
  .regex(/^[A-Za-z]{3}$/, "must be an ISO-4217 code such as EUR")
  .refine((c) => ISO_CURRENCIES.has(c.toUpperCase()), "must be an ISO-4217 currency code such as EUR")
  .transform((c) => c.toUpperCase())
  // The transform hides the pattern from the generated schema: state it again.
  .openapi({ example: "EUR", type: "string", pattern: "^[A-Za-z]{3}$", description: "An ISO-4217 currency code in use (any case; answered upper-case)." });
const Money = z.number().int().min(0).max(1_000_000_000_000);
const PositiveMoney = z.number().int().min(1).max(1_000_000_000_000);
const Sku = z.string().min(1).max(100);

export const DiscountSchema = z
  .discriminatedUnion("type", [
    z.strictObject({ type: z.literal("percent"), percent_off: z.number().min(1).max(100), max_discount_amount: PositiveMoney.nullable().optional() }),
    z.strictObject({ type: z.literal("amount"), amount_off: PositiveMoney }),
    z.strictObject({ type: z.literal("free_shipping") }),
  ])
  .openapi("Discount");

export const RulesSchema = z
  .strictObject({
    min_order_amount: Money.nullable().optional(),
    max_order_amount: Money.nullable().optional(),
    customer_ids: z.array(CustomerId).min(1).max(1000).nullable().optional(),
    skus: z.array(Sku).min(1).max(1000).nullable().optional(),
    first_order_only: z.boolean().optional(),
  })
  .openapi("Rules");

export const CreateVoucherBody = z
  .strictObject({
    code: Code.optional().openapi({ description: "Generated from the campaign's code pattern (default: 8 characters, unambiguous charset) when omitted." }),
    campaign_id: z.string().max(64).optional().openapi({ description: "The voucher inherits the campaign's discount, rules, limits and dates unless it sets its own." }),
    type: z.enum(["discount", "gift_card"]).optional().openapi({ description: "Default: the campaign's type, else discount." }),
    discount: DiscountSchema.optional(),
    gift_card: z.strictObject({ amount: PositiveMoney }).optional(),
    currency: Currency.optional(),
    redemption_limit: z.number().int().min(1).nullable().optional(),
    per_customer_limit: z.number().int().min(1).nullable().optional(),
    rules: RulesSchema.optional(),
    starts_at: Timestamp.nullable().optional(),
    expires_at: Timestamp.nullable().optional(),
    active: z.boolean().optional(),
    metadata: Metadata.optional(),
  })
  .superRefine((v, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
    const type = v.type ?? (v.gift_card ? "gift_card" : "discount");
    // A campaign voucher may inherit what it leaves out; the service checks the result.
    if (!v.campaign_id && type === "discount" && !v.discount) issue("discount", "required for a discount voucher");
    if (!v.campaign_id && type === "gift_card" && !v.gift_card) issue("gift_card", "required for a gift_card voucher");
    if (type === "discount" && v.gift_card) issue("gift_card", "only for gift_card vouchers");
    if (type === "gift_card" && v.discount) issue("discount", "only for discount vouchers");
    if (!v.campaign_id && (type === "gift_card" || v.discount?.type === "amount") && !v.currency) issue("currency", "required for amounts of money");
    if (v.starts_at && v.expires_at && Date.parse(v.starts_at) >= Date.parse(v.expires_at)) issue("expires_at", "must be after starts_at");
    const { min_order_amount: min, max_order_amount: max } = v.rules ?? {};
    if (min != null && max != null && min > max) issue("rules.max_order_amount", "must be at least min_order_amount");
  })
  .openapi("CreateVoucherRequest");

export const Voucher = z
  .object({
    id: z.string().nullable().openapi({ example: "vch_01JD…" }),
    object: z.literal("voucher"),
    code: z.string(),
    campaign_id: z.string().nullable(),
    type: z.enum(["discount", "gift_card"]),
    discount: DiscountSchema.nullable(),
    gift_card: z.object({ amount: z.number().int(), balance: z.number().int() }).nullable(),
    currency: z.string().nullable(),
    redemption_limit: z.number().int().nullable(),
    per_customer_limit: z.number().int().nullable(),
    redemptions_count: z.number().int(),
    rules: z.object({
      min_order_amount: z.number().int().nullable(),
      max_order_amount: z.number().int().nullable(),
      customer_ids: z.array(z.string()).nullable(),
      skus: z.array(z.string()).nullable(),
      first_order_only: z.boolean(),
    }),
    starts_at: z.string().nullable(),
    expires_at: z.string().nullable(),
    active: z.boolean(),
    metadata: Metadata,
    created_at: z.string(),
    updated_at: z.string(),
    dry_run: z.literal(true).optional(),
  })
  .openapi("Voucher");

export const PatchVoucherBody = patchBody(
  { metadata: Metadata.optional(), expires_at: Timestamp.nullable().optional(), active: z.boolean().optional() },
  Voucher,
).openapi("PatchVoucherRequest", {
  description: "Only metadata, expires_at and active; the voucher's other fields answer 422 unsupported_field, unknown fields 400.",
});

export const CodeParams = z.object({ code: Code.openapi({ param: { name: "code", in: "path" } }) });

const OrderItem = z.strictObject({ sku: Sku, quantity: z.number().int().min(1).max(100_000), unit_price: Money });
const Order = z
  .strictObject({
    id: z.string().min(1).max(128).optional(),
    amount: Money.openapi({ description: "The order's total, shipping included, in minor units." }),
    currency: Currency.optional(),
    shipping_amount: Money.optional().openapi({ description: "The shipping part of `amount`; at most `amount`." }),
    items: z
      .array(OrderItem)
      .max(500)
      .optional()
      .openapi({
        description:
          "The order's lines at the prices actually charged. Their sum (quantity × unit_price) may be below `amount` (shipping, taxes, unlisted lines) but never above it: such an order contradicts itself and answers 400 `invalid_request` naming `order.items`.",
      }),
  })
  .superRefine((o, ctx) => {
    if (o.shipping_amount !== undefined && o.shipping_amount > o.amount) {
      ctx.addIssue({ code: "custom", path: ["shipping_amount"], message: "cannot exceed amount" });
    }
    // Which of two contradicting numbers is right cannot be known; pricing on either could over-discount.
    if (o.items && itemsTotal(o.items) > o.amount) {
      ctx.addIssue({ code: "custom", path: ["items"], message: "the items' sum (quantity × unit_price) cannot exceed amount" });
    }
  });

/** How any valid answer is priced, stated once for both request schemas. */
const PRICING =
  "A percent or amount discount applies to the eligible amount: the items matching the voucher's `skus` when it names some (never counted above `order.amount`), else the whole `amount`. `free_shipping` takes off `shipping_amount`. A gift card spends at most the eligible amount and its balance. Whatever the voucher, `discount_amount` is a whole number of minor units from 0 to `order.amount`, and `total_amount` = `amount` − `discount_amount` is never negative. An order whose `items` sum above its `amount`, or whose `shipping_amount` is above it, answers 400 `invalid_request` (details name the field) and consumes nothing.";

export const ValidateBody = z
  .strictObject({
    customer_id: CustomerId.optional(),
    order: Order,
    amount: PositiveMoney.optional().openapi({ description: "Gift cards: the amount to spend (default: as much as the order and balance allow)." }),
  })
  .openapi("ValidateRequest", { description: PRICING });

const ORDER_ID_REQUIRED = { message: "order.id is required to redeem", path: ["id"] };
const GiftCardSpend = PositiveMoney.optional().openapi({ description: "Gift cards: the amount to spend (default: as much as the order and balance allow)." });
export const ReservationId = z.string().regex(/^rsv_[0-9A-Za-z]{1,64}$/, "must be a reservation id (rsv_…)");

export const RedeemBody = z
  .strictObject({
    reservation_id: ReservationId.optional().openapi({
      description:
        "Redeem a held reservation (API.md §10) with the amounts it was granted: it cannot fail for limits, budget or balance. The other fields are then optional; any given must match the reservation (else 422 `reservation_mismatch`). No longer held → 409 `reservation_not_held`.",
    }),
    customer_id: CustomerId.optional(),
    order: Order.optional().openapi({ description: "Required (with `order.id`) unless `reservation_id` is given." }),
    amount: GiftCardSpend,
  })
  .superRefine((body, ctx) => {
    if (body.reservation_id !== undefined) return;
    if (body.order === undefined) ctx.addIssue({ code: "custom", path: ["order"], message: "order is required to redeem without a reservation_id" });
    else if (body.order.id === undefined) ctx.addIssue({ code: "custom", ...ORDER_ID_REQUIRED, path: ["order", "id"] });
  })
  .openapi("RedeemRequest", { description: PRICING });

export const ReserveBody = z
  .strictObject({
    customer_id: CustomerId.optional(),
    order: Order.refine((o) => o.id !== undefined, ORDER_ID_REQUIRED),
    amount: GiftCardSpend,
    ttl_seconds: z
      .number()
      .int()
      .min(MIN_RESERVATION_TTL)
      .max(MAX_RESERVATION_TTL)
      .default(DEFAULT_RESERVATION_TTL)
      .openapi({ description: "How long the reservation holds the voucher, in seconds (30–900, default 300)." }),
  })
  .openapi("ReserveRequest", { description: PRICING });

export const ReservationParams = z.object({
  code: Code.openapi({ param: { name: "code", in: "path" } }),
  id: ReservationId.openapi({ param: { name: "id", in: "path" }, example: "rsv_01JDQ4ZV7S8Y2K5M9N3P6R1T0W" }),
});

const OrderSummary = z.object({
  amount: z.number().int(),
  discount_amount: z.number().int().min(0).openapi({ description: "At most `amount`." }),
  total_amount: z.number().int().min(0).openapi({ description: "`amount` − `discount_amount`, never negative." }),
});

export const ValidateResult = z
  .union([
    z.object({
      valid: z.literal(true),
      code: z.string(),
      discount_amount: z.number().int(),
      order: OrderSummary,
      expires_at: z.string().nullable(),
      campaign_id: z.string().nullable(),
      type: z.string().optional(),
      discount: DiscountSchema.nullable().optional(),
      currency: z.string().nullable().optional(),
      gift_card: z.object({ amount: z.number().int(), balance: z.number().int() }).nullable().optional(),
      redemptions_count: z.number().int().optional(),
      remaining_redemptions: z.number().int().nullable().optional(),
      metadata: Metadata.optional(),
    }),
    z.object({ valid: z.literal(false), code: z.string(), reason: z.enum(REASONS), message: z.string() }),
  ])
  .openapi("ValidateResult", { description: "Publishable keys get only valid, code, discount_amount, order, expires_at and campaign_id (or the reason)." });

export const Redemption = z
  .object({
    id: z.string().openapi({ example: "red_01JD…" }),
    object: z.literal("redemption"),
    status: z.enum(["redeemed", "rolled_back"]),
    code: z.string(),
    voucher_id: z.string(),
    campaign_id: z.string().nullable(),
    customer_id: z.string().nullable(),
    order: OrderSummary.passthrough(),
    discount_amount: z.number().int(),
    currency: z.string().nullable(),
    remaining_redemptions: z.number().int().nullable().optional(),
    created_at: z.string(),
    rollback_expires_at: z.string(),
    rolled_back_at: z.string().nullable(),
    rollback_reason: z.string().nullable(),
  })
  .openapi("Redemption");

export const Reservation = z
  .object({
    id: z.string().openapi({ example: "rsv_01JD…" }),
    object: z.literal("reservation"),
    status: z.enum(["held", "redeemed", "released", "expired"]).openapi({
      description: "`held` until redeemed, released, or `expires_at` passes; every other status is final.",
    }),
    code: z.string(),
    campaign_id: z.string().nullable(),
    customer_id: z.string().nullable(),
    order: OrderSummary.passthrough(),
    discount_amount: z.number().int().openapi({ description: "What redeeming it will take off the order: fixed when it was made." }),
    currency: z.string().nullable(),
    expires_at: z.string(),
    created_at: z.string(),
    redemption_id: z.string().nullable().openapi({ description: "The redemption it became, once `redeemed`." }),
  })
  .openapi("Reservation", {
    description:
      "A hold on a voucher while the customer pays. While `held` it counts against the redemption limit, the per-customer limit, a gift card's balance and the campaign's budget exactly like a redemption, and its `order.id` cannot be redeemed any other way. Like an authorization before a capture, redeeming it honours what it was granted even if the voucher was deactivated or expired, or its campaign paused or ended, in the meantime: release it to withdraw it. Released, expired and redeemed reservations stay readable for 30 days.",
  });

export const RollbackBody = z
  .strictObject({ redemption_id: z.string().min(1).max(64), reason: z.string().max(500).optional() })
  .openapi("RollbackRequest");

export const ListVouchersQuery = z.object({
  campaign_id: z.string().max(64).optional(),
  status: z.enum(["active", "inactive", "expired", "exhausted"]).optional(),
  code_prefix: z.string().max(64).regex(/^[A-Za-z0-9_-]*$/).optional(),
  created_after: Timestamp.optional(),
  created_before: Timestamp.optional(),
  format: z.enum(["json", "csv"]).default("json").openapi({ description: "`csv` streams every matching voucher as text/csv (limit and cursor are ignored)." }),
});
