// What a voucher object's send carries besides its outbox entries (./voucher-shipper.ts): values a later one
// supersedes, read at send time — the voucher's state if D1's copy lacks it, and the validation totals so far.
import { voucherStateEntry } from "../domain/ledger";
import type { Derived } from "./voucher-shipper";
import type { VoucherStorage } from "./voucher-storage";
import type { Snapshot } from "./voucher-types";
import type { ValidationCounts } from "./voucher-validations";

export function derivedEntries(storage: DurableObjectStorage, store: VoucherStorage, validations: ValidationCounts, snapshot: Snapshot | null): Derived {
  if (!snapshot) return { entries: [], accepted: () => {} };
  // The state in memory is the one numbered `version`: both change together, with no await between.
  const version = store.unshippedMirrorVersion();
  const state = version === null ? [] : [voucherStateEntry(snapshot, version)];
  if (validations.counting) storage.transactionSync(() => validations.fold());
  const totals = validations.unshipped(snapshot.definition.id);
  return {
    entries: [...state, ...totals],
    accepted: () => {
      if (version !== null) store.markMirrorShipped(version);
      validations.markShipped(totals);
    },
  };
}
