// The pure heart of validation: given a voucher's definition, its live counters and an order, is it eligible
// and for how much? Used by the voucher's Durable Object for validate and redeem alike, so they cannot disagree.

export type Discount =
  | { type: "percent"; percent_off: number; max_discount_amount?: number | null }
  | { type: "amount"; amount_off: number }
  | { type: "free_shipping" };

export type Rules = {
  min_order_amount: number | null;
  max_order_amount: number | null;
  customer_ids: string[] | null;
  skus: string[] | null;
  first_order_only: boolean;
};

export type VoucherDefinition = {
  id: string;
  teamId: string;
  code: string;
  campaignId: string | null;
  type: "discount" | "gift_card";
  discount: Discount | null;
  giftCardAmount: number | null;
  currency: string | null;
  redemptionLimit: number | null;
  perCustomerLimit: number | null;
  rules: Rules;
  startsAt: number | null;
  expiresAt: number | null;
  active: boolean;
  metadata: Record<string, string>;
  createdAt: number;
  updatedAt: number;
};

export type Counters = { redemptionsCount: number; giftCardBalance: number | null };

export type OrderItem = { sku: string; quantity: number; unit_price: number };
export type Order = { id?: string; amount: number; currency?: string; shipping_amount?: number; items?: OrderItem[] };
export type RedemptionRequest = { customer_id?: string; order: Order; amount?: number };

export const REASONS = [
  "inactive",
  "not_started",
  "expired",
  "campaign_paused",
  "campaign_ended",
  "redemption_limit_reached",
  "customer_limit_reached",
  "order_below_minimum",
  "order_above_maximum",
  "customer_not_eligible",
  "no_eligible_items",
  "budget_exhausted",
  "currency_mismatch",
  "insufficient_balance",
  "customer_required",
] as const;
export type Reason = (typeof REASONS)[number];

export const REASON_MESSAGES: Record<Reason, string> = {
  inactive: "This voucher is not active.",
  not_started: "This voucher is not valid yet.",
  expired: "This voucher has expired.",
  campaign_paused: "This voucher's campaign is paused.",
  campaign_ended: "This voucher's campaign has ended.",
  redemption_limit_reached: "This voucher has reached its redemption limit.",
  customer_limit_reached: "This customer has reached the voucher's per-customer limit.",
  order_below_minimum: "The order is below the voucher's minimum amount.",
  order_above_maximum: "The order is above the voucher's maximum amount.",
  customer_not_eligible: "This customer is not eligible for the voucher.",
  no_eligible_items: "No item in the order is eligible for the voucher.",
  budget_exhausted: "The campaign's budget cannot cover this discount.",
  currency_mismatch: "The order's currency does not match the voucher's.",
  insufficient_balance: "The gift card's balance is too low for this amount.",
  customer_required: "This voucher needs a customer_id.",
};

export type Evaluation = { ok: true; discountAmount: number } | { ok: false; reason: Reason };

/** quantity × unit_price over the items. Exact below 2^53; a sum beyond that is far above any order amount, so comparing it stays right. */
export function itemsTotal(items: OrderItem[]): number {
  return items.reduce((sum, item) => sum + item.quantity * item.unit_price, 0);
}

/**
 * The part of the order the discount may apply to: the matching items when the voucher names SKUs, else the
 * order. Never more than the order itself, whatever the items claim: nothing can be taken off money not paid.
 */
function eligibleAmount(rules: Rules, order: Order): number | null {
  if (rules.skus && rules.skus.length > 0) {
    const skus = new Set(rules.skus.map((s) => s.toUpperCase()));
    const matching = (order.items ?? []).filter((item) => skus.has(item.sku.toUpperCase()));
    if (matching.length === 0) return null;
    return Math.min(itemsTotal(matching), order.amount);
  }
  return order.amount;
}

/** The discount on `eligible` (at most the order's amount): a whole number of minor units from 0 to `eligible`. */
export function discountFor(discount: Discount, eligible: number, order: Order): number {
  const cap = Math.min(eligible, order.amount);
  switch (discount.type) {
    case "percent": {
      const raw = Math.floor((cap * discount.percent_off) / 100);
      const capped = discount.max_discount_amount != null ? Math.min(raw, discount.max_discount_amount) : raw;
      return Math.max(0, Math.min(capped, cap));
    }
    case "amount":
      return Math.max(0, Math.min(discount.amount_off, cap));
    case "free_shipping":
      return Math.max(0, Math.min(order.shipping_amount ?? 0, order.amount));
  }
}

/** What the customer still pays: `amount − discount`, which the rules above keep at 0 or more. */
export const totalAmount = (amount: number, discountAmount: number) => Math.max(0, amount - discountAmount);

/** What the voucher's object knows about the customer at the time of the call. */
export type CustomerFacts = { redemptionsOfVoucher: number; hasEarlierOrders: boolean };

/** Checks in a fixed order (state, dates, currency, customer, order, limits, money) and prices the discount. */
export function evaluate(def: VoucherDefinition, counters: Counters, request: RedemptionRequest, customer: CustomerFacts, now: number): Evaluation {
  const { order } = request;
  if (!def.active) return { ok: false, reason: "inactive" };
  if (def.startsAt !== null && now < def.startsAt) return { ok: false, reason: "not_started" };
  if (def.expiresAt !== null && now >= def.expiresAt) return { ok: false, reason: "expired" };
  if (def.currency && order.currency && order.currency.toUpperCase() !== def.currency) return { ok: false, reason: "currency_mismatch" };
  const needsCustomer = def.perCustomerLimit !== null || (def.rules.customer_ids?.length ?? 0) > 0 || def.rules.first_order_only;
  if (needsCustomer && !request.customer_id) return { ok: false, reason: "customer_required" };
  if (def.rules.customer_ids && def.rules.customer_ids.length > 0 && !def.rules.customer_ids.includes(request.customer_id ?? "")) {
    return { ok: false, reason: "customer_not_eligible" };
  }
  if (def.rules.first_order_only && customer.hasEarlierOrders) return { ok: false, reason: "customer_not_eligible" };
  if (def.rules.min_order_amount !== null && order.amount < def.rules.min_order_amount) return { ok: false, reason: "order_below_minimum" };
  if (def.rules.max_order_amount !== null && order.amount > def.rules.max_order_amount) return { ok: false, reason: "order_above_maximum" };
  const eligible = eligibleAmount(def.rules, order);
  if (eligible === null) return { ok: false, reason: "no_eligible_items" };
  if (def.redemptionLimit !== null && counters.redemptionsCount >= def.redemptionLimit) return { ok: false, reason: "redemption_limit_reached" };
  if (def.perCustomerLimit !== null && customer.redemptionsOfVoucher >= def.perCustomerLimit) return { ok: false, reason: "customer_limit_reached" };
  if (def.type === "gift_card") {
    const balance = counters.giftCardBalance ?? 0;
    // Never more than the eligible part of the order (the order itself without SKU rules), whatever is asked.
    const wanted = request.amount ?? Math.min(balance, eligible);
    const spend = Math.min(wanted, eligible);
    if (spend > balance || balance <= 0) return { ok: false, reason: "insufficient_balance" };
    return { ok: true, discountAmount: spend };
  }
  return { ok: true, discountAmount: def.discount ? discountFor(def.discount, eligible, order) : 0 };
}
