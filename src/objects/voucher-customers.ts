// What a voucher object keeps of its customers beyond the counts (./voucher-standing.ts): which customers hold
// reservations here, told to D1 through the outbox so that an erasure finds this object, and the erasure itself
// (API.md §7) across the object's tables.
import { customerReservationEntry, customerReservationSlot } from "../domain/ledger";
import type { VoucherDefinition } from "../domain/voucher-rules";
import type { Outbox } from "./voucher-outbox";
import type { Reservations } from "./voucher-reservations";
import type { VoucherStorage } from "./voucher-storage";

export class VoucherCustomers {
  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly store: VoucherStorage,
    private readonly outbox: Outbox,
    private readonly reservations: Reservations,
    private readonly definition: () => VoucherDefinition | null,
  ) {}

  /**
   * Tells D1, through the outbox, that this object holds reservations of the customer since `since` (erasure finds
   * the objects holding an id there). One report per customer waits at a time; whether one was added. Call inside
   * the change's transaction.
   */
  reportReservations(customerId: string, since: number): boolean {
    const def = this.definition();
    if (!def) return false;
    return this.outbox.keep(customerReservationEntry(def.code, def.campaignId, customerId, since), customerReservationSlot(customerId));
  }

  /**
   * Erasure: the customer's redemptions and reservations made before `before`, here and waiting in the outbox,
   * name the pseudonym from now on; per-customer limits then count them under it, and the id registered again
   * starts afresh. Reservations made since are the id's own again: they are reported anew, so that D1 keeps
   * pointing a later erasure here. Returns the redemptions renamed, and whether a report now waits to be sent.
   */
  erase(customerId: string, pseudonym: string, before: number): { renamed: number; reported: boolean } {
    return this.storage.transactionSync(() => {
      this.outbox.renameCustomer(customerId, pseudonym, before);
      const left = this.reservations.renameCustomer(customerId, pseudonym, before);
      const reported = left !== null && this.reportReservations(customerId, left);
      return { renamed: this.store.renameCustomer(customerId, pseudonym, before), reported };
    });
  }
}
