// Rules of reservations (API.md §10) that need no storage: how long one may hold a voucher, and whether a redeem
// naming a reservation says the same as the reservation it names.

export const DEFAULT_TTL_SECONDS = 300;
export const MIN_TTL_SECONDS = 30;
export const MAX_TTL_SECONDS = 900;

type Order = { id?: string; amount: number; currency?: string; shipping_amount?: number; items?: unknown[] };

/** What a redeem by reservation may repeat of the reservation: every field optional, each compared when given. */
export type GivenRequest = { customer_id?: string; order?: Order; amount?: number };

/** What the reservation holds, as the voucher object keeps it. */
export type Held = { customerId: string | null; order: Order; amount: number | null };

/** The request fields that contradict the reservation (empty when it may be redeemed as asked). */
export function mismatches(held: Held, given: GivenRequest): string[] {
  const wrong: string[] = [];
  if (given.customer_id !== undefined && given.customer_id !== held.customerId) wrong.push("customer_id");
  if (given.amount !== undefined && given.amount !== held.amount) wrong.push("amount");
  const order = given.order;
  if (order === undefined) return wrong;
  if (order.id !== undefined && order.id !== held.order.id) wrong.push("order.id");
  if (order.amount !== held.order.amount) wrong.push("order.amount");
  if (order.currency !== undefined && order.currency.toUpperCase() !== held.order.currency?.toUpperCase()) wrong.push("order.currency");
  if (order.shipping_amount !== undefined && order.shipping_amount !== held.order.shipping_amount) wrong.push("order.shipping_amount");
  if (order.items !== undefined && JSON.stringify(order.items) !== JSON.stringify(held.order.items)) wrong.push("order.items");
  return wrong;
}
