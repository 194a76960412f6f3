// Redemptions waiting on their campaign's answer. Each holds its place (its count, its amount, its customer and
// order) so that concurrent calls on the voucher count it; it is dropped in the same synchronous step that commits
// or abandons it.
import type { Counters } from "../domain/voucher-rules";

export type Hold = { redemptionId: string; orderId: string | null; customerId: string | null; amount: number };

export class Holds extends Set<Hold> {
  /** Counters as seen by a new request: held redemptions already count. */
  counted(counters: Counters): Counters {
    let amount = 0;
    for (const h of this) amount += h.amount;
    return {
      redemptionsCount: counters.redemptionsCount + this.size,
      giftCardBalance: counters.giftCardBalance === null ? null : counters.giftCardBalance - amount,
    };
  }

  ofCustomer(customerId: string): number {
    return [...this].filter((h) => h.customerId === customerId).length;
  }

  hasOrder(orderId: string): boolean {
    return [...this].some((h) => h.orderId === orderId);
  }

  ids(): Set<string> {
    return new Set([...this].map((h) => h.redemptionId));
  }
}
