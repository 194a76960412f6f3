// The budget a voucher's object owes its campaign: rolled-back redemptions, and reservations released or expired,
// whose campaign share has not been given back yet. Each is flagged (`release_pending`) in the same transaction as
// its change, given back right after it, and retried by the object's alarm while the campaign cannot be reached.
// The campaign's release is keyed by redemption id (a reservation's is the id it would have become), so giving
// back twice changes nothing.
import type { Env } from "../env";
import { redemptionIdOf, type Reservations } from "./voucher-reservations";
import type { VoucherStorage } from "./voucher-storage";

type Hooks = {
  env: () => Env;
  teamId: () => string;
  /** Paces the next try through the object's alarm, with backoff. */
  retryLater: (what: string, failures: number, err: unknown) => Promise<void>;
};

export class CampaignReleases {
  private failures = 0;

  constructor(
    private readonly store: VoucherStorage,
    private readonly reservations: Reservations,
    private readonly hooks: Hooks,
  ) {}

  /** Gives back everything owed now. Never throws: a failure leaves the rest to the alarm. */
  async run(): Promise<void> {
    let pending = this.pending();
    if (pending.length === 0) return;
    const teamId = this.hooks.teamId();
    const campaigns = this.hooks.env().CAMPAIGNS;
    try {
      while (pending.length > 0) {
        for (const r of pending) {
          await campaigns.get(campaigns.idFromName(r.campaignId)).release({ teamId, campaignId: r.campaignId }, r.key);
          r.done();
        }
        pending = this.pending();
      }
      this.failures = 0;
    } catch (err) {
      this.failures += 1;
      await this.hooks.retryLater("campaign release", this.failures, err);
    }
  }

  private pending() {
    return [
      ...this.store.pendingReleases().map((r) => ({ campaignId: r.campaignId!, key: r.id, done: () => this.store.markReleased(r.id) })),
      ...this.reservations
        .pendingReleases()
        .map((r) => ({ campaignId: r.campaignId!, key: redemptionIdOf(r.id), done: () => this.reservations.markReleased(r.id) })),
    ];
  }
}
