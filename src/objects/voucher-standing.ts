// What a new validate, redeem or reserve on a voucher is judged by: its counters less what is already spoken for
// (calls waiting on the campaign, held reservations), and what the voucher knows of the customer. Read after the
// caller's last await, so concurrent calls see each other.
import type { Counters, CustomerFacts, VoucherDefinition } from "../domain/voucher-rules";
import type { Holds } from "./voucher-holds";
import type { Reservations } from "./voucher-reservations";
import type { VoucherStorage } from "./voucher-storage";

export class VoucherStanding {
  constructor(
    private readonly store: VoucherStorage,
    private readonly reservations: Reservations,
    private readonly holds: Holds,
    private readonly db: () => D1Database,
  ) {}

  /** The counters a new call sees: calls waiting on the campaign and held reservations are spent. */
  counted(counters: Counters): Counters {
    return this.holds.counted(this.reservations.counted(counters));
  }

  /**
   * This voucher's own redemptions, holds and reservations make first_order_only exact here; `inD1` (other vouchers)
   * lags. Only a voucher with a per-customer limit or first_order_only counts the customer's redemptions: no other
   * rule reads the count, and a validate or redeem of any other voucher runs no query for it.
   */
  customerFacts(def: VoucherDefinition, customerId: string | undefined, inD1: boolean): CustomerFacts {
    const counted = def.perCustomerLimit !== null || def.rules.first_order_only;
    const redemptionsOfVoucher = counted ? this.customerCount(customerId) : 0;
    return { redemptionsOfVoucher, hasEarlierOrders: inD1 || (def.rules.first_order_only && redemptionsOfVoucher > 0) };
  }

  /**
   * Only vouchers with first_order_only pay for this D1 read. Its answer covers the team's other vouchers, whose
   * history reaches D1 a second or two late, so two first orders racing on two different vouchers can both pass.
   */
  async earlierOrdersInD1(def: VoucherDefinition, customerId: string | undefined): Promise<boolean> {
    if (!def.rules.first_order_only || !customerId) return false;
    if (this.customerCount(customerId) > 0) return true;
    const row = await this.db()
      .prepare("SELECT 1 FROM redemptions WHERE team_id = ? AND customer_id = ? AND status = 'redeemed' LIMIT 1")
      .bind(def.teamId, customerId)
      .first();
    return row !== null;
  }

  private customerCount(customerId: string | undefined): number {
    if (!customerId) return 0;
    return this.holds.ofCustomer(customerId) + this.reservations.ofCustomer(customerId) + this.store.customerCount(customerId);
  }
}
