// One Durable Object per voucher, named "<team id>:<CODE>" so a checkout reaches it by code with no D1 lookup.
// It serializes everything that must be atomic for the voucher: the total and per-customer limits, the
// gift-card balance and duplicate order ids are checked and updated in one synchronous step.
// A redemption is durable when the object answers. What the rest of the system must learn of it (D1's history,
// listing copy and reports) is written to the object's outbox in the same transaction, and shipped to the ledger
// queue at once, or a second after its previous send, many entries to a send (./voucher-shipper.ts,
// src/domain/ledger.ts).
// A campaign voucher also asks its campaign's object: check on validate, reserve (budget, campaign-wide customer
// count, pause, end) on redeem, release on rollback (retried by the alarm if the campaign cannot be reached);
// the campaign asks back (redemptionStates) about reservations it has not seen committed, to give back lost ones.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { redemptionEntry, voucherStateEntry } from "../domain/ledger";
import { definitionFromRow, mirrorVersionOf } from "../services/voucher-store";
import { evaluate, type Counters, type CustomerFacts, type Evaluation, type RedemptionRequest, type VoucherDefinition } from "../services/voucher-rules";
import { type Hold, Holds } from "./voucher-holds";
import { Outbox } from "./voucher-outbox";
import { type Derived, OutboxShipper, SHIP_INTERVAL_MS } from "./voucher-shipper";
import { VoucherStorage } from "./voucher-storage";
import { ValidationCounts } from "./voucher-validations";
import type { ValidationTally } from "../domain/validation-tally";
import type { CampaignAsk, CampaignDecision } from "./campaign";
import { ensureSchema } from "./sqlite-schema";
import { ROLLBACK_WINDOW_MS, type RedeemOutcome, type RedemptionRecord, type RedemptionState, type RollbackOutcome, type PreviewOutcome, type Snapshot, type ValidateOutcome, type VoucherPatch, type VoucherRef, view } from "./voucher-types";

export * from "./voucher-types";

/** A campaign voucher's evaluation once its campaign has answered (null: the campaign is gone, so ended). */
const withCampaign = (evaluation: Evaluation, decision: CampaignDecision | null): Evaluation =>
  !decision ? { ok: false, reason: "campaign_ended" } : decision.ok ? evaluation : decision;

/** Raised whenever the object's tables change (see the migrate methods). */
const VOUCHER_SCHEMA_VERSION = 2;

export class VoucherObject extends DurableObject<Env> {
  private readonly store: VoucherStorage;
  private snapshot: Snapshot | undefined;
  private readonly outbox: Outbox;
  private readonly validations: ValidationCounts;
  private readonly shipper: OutboxShipper;
  private holds = new Holds();
  private releaseFailures = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    this.store = new VoucherStorage(sql);
    this.outbox = new Outbox(sql);
    this.validations = new ValidationCounts(sql);
    // A quiet voucher's object starts for nearly every call: its tables are checked with one query, not one each.
    ensureSchema(sql, VOUCHER_SCHEMA_VERSION, () =>
      ctx.storage.transactionSync(() => {
        this.store.migrate();
        this.outbox.migrate();
        this.validations.migrate();
        this.store.adoptLegacyFlags(this.outbox);
      }),
    );
    this.shipper = new OutboxShipper(ctx, this.outbox, {
      queue: () => this.env.LEDGER_QUEUE,
      voucher: () => this.load()?.definition ?? null,
      derived: () => this.derivedEntries(),
      alarmNeeded: () => this.store.hasPendingReleases(),
      unwritten: () => this.outbox.deletionsPending,
      writeSent: () => this.outbox.writeDeletions(),
    });
  }

  /** Called right after the voucher is created in D1, so the first checkout needs no D1 read. */
  async install(definition: VoucherDefinition, counters: Counters): Promise<void> {
    if (this.load() === null) this.save(definition, counters, false);
  }

  async get(ref: VoucherRef): Promise<Snapshot | null> {
    return this.ensure(ref);
  }

  async validate(ref: VoucherRef, request: RedemptionRequest): Promise<ValidateOutcome> {
    const snapshot = await this.ensure(ref);
    if (!snapshot) return null;
    const { outcome, campaign } = await this.ownEvaluation(request);
    if (campaign) outcome.evaluation = withCampaign(outcome.evaluation, await this.campaign(campaign.id).check(this.campaignRef(this.snapshot!), campaign.ask));
    this.validations.count(Date.now(), outcome.evaluation.ok);
    this.shipper.schedule(SHIP_INTERVAL_MS);
    return outcome;
  }

  /**
   * validate's answer, asked while the caller's key is still being checked (services/validate-preview.ts), so it
   * writes nothing and counts nothing: a voucher or campaign not loaded yet answers "cold" rather than be loaded
   * from D1, and the caller then validates the ordinary way once authenticated. The caller counts the validations
   * it answered from previews later: `tallies` carries them, or countValidations when no preview follows.
   */
  async preview(request: RedemptionRequest, tallies: ValidationTally[] = []): Promise<PreviewOutcome> {
    if (tallies.length > 0) this.addTallies(tallies);
    if (!this.load()) return "cold";
    const { outcome, campaign } = await this.ownEvaluation(request);
    if (!campaign) return outcome;
    const decision = await this.campaign(campaign.id).preview(campaign.ask);
    if (decision === "cold") return "cold";
    return { ...outcome, evaluation: withCampaign(outcome.evaluation, decision) };
  }

  /** Validations workers answered from previews, handed back after their keys were accepted. */
  async countValidations(tallies: ValidationTally[]): Promise<void> {
    this.addTallies(tallies);
  }

  private addTallies(tallies: ValidationTally[]) {
    for (const t of tallies) this.validations.add(t);
    this.shipper.schedule(SHIP_INTERVAL_MS);
  }

  /** The voucher's own rules on a validation of the loaded voucher, and what its campaign must be asked if they pass. */
  private async ownEvaluation(request: RedemptionRequest): Promise<{ outcome: NonNullable<ValidateOutcome>; campaign: { id: string; ask: CampaignAsk } | null }> {
    const inD1 = await this.earlierOrdersInD1(this.snapshot!.definition, request.customer_id);
    const current = this.snapshot!;
    const facts = this.customerFacts(current.definition, request.customer_id, inD1);
    const evaluation = evaluate(current.definition, this.holds.counted(current.counters), request, facts, Date.now());
    const outcome = { voucher: view(current.definition), counters: current.counters, evaluation };
    const campaignId = current.definition.campaignId;
    if (!evaluation.ok || !campaignId) return { outcome, campaign: null };
    return { outcome, campaign: { id: campaignId, ask: { customerId: request.customer_id ?? null, amount: evaluation.discountAmount } } };
  }

  async redeem(ref: VoucherRef, request: RedemptionRequest, redemptionId: string): Promise<RedeemOutcome> {
    const snapshot = await this.ensure(ref);
    if (!snapshot) return null;
    const inD1 = await this.earlierOrdersInD1(snapshot.definition, request.customer_id);
    // From here to the decision nothing yields, except waiting on the campaign while this redemption holds its place.
    const { definition: def, counters } = this.snapshot!;
    const orderId = request.order.id ?? null;
    const customerId = request.customer_id ?? null;
    if (orderId !== null) {
      const dup = this.store.redemptionOfOrder(orderId);
      if (dup) return { kind: "duplicate", redemptionId: dup };
      if (this.holds.hasOrder(orderId)) return { kind: "duplicate", redemptionId: "a concurrent request" };
    }
    const facts = this.customerFacts(def, request.customer_id, inD1);
    const evaluation = evaluate(def, this.holds.counted(counters), request, facts, Date.now());
    if (!evaluation.ok) return { kind: "rejected", reason: evaluation.reason };
    if (def.campaignId) {
      const hold: Hold = { redemptionId, orderId, customerId, amount: evaluation.discountAmount };
      this.holds.add(hold);
      let decision;
      try {
        decision = await this.campaign(def.campaignId).reserve(this.campaignRef(snapshot), redemptionId, { customerId, amount: evaluation.discountAmount }, def.code);
      } finally {
        this.holds.delete(hold);
      }
      if (!decision) return { kind: "rejected", reason: "campaign_ended" };
      if (!decision.ok) return { kind: "rejected", reason: decision.reason };
    }
    return this.commitRedemption(redemptionId, request, evaluation.discountAmount);
  }

  private async commitRedemption(redemptionId: string, request: RedemptionRequest, discountAmount: number): Promise<RedeemOutcome> {
    const { definition: def, counters: current } = this.snapshot!;
    const redemption: RedemptionRecord = {
      id: redemptionId,
      voucherId: def.id,
      code: def.code,
      campaignId: def.campaignId,
      customerId: request.customer_id ?? null,
      order: request.order,
      discountAmount,
      currency: def.currency ?? request.order.currency?.toUpperCase() ?? null,
      status: "redeemed",
      createdAt: Date.now(),
      rolledBackAt: null,
      rollbackReason: null,
    };
    const counters: Counters = {
      redemptionsCount: current.redemptionsCount + 1,
      giftCardBalance: def.type === "gift_card" ? (current.giftCardBalance ?? 0) - discountAmount : current.giftCardBalance,
    };
    this.ctx.storage.transactionSync(() => {
      this.store.insertRedemption(redemption);
      this.outbox.add(redemptionEntry(redemption), `redemption:${redemption.id}`);
      this.save(def, counters, true);
    });
    await this.shipper.soon();
    return { kind: "redeemed", redemption, voucher: view(def), counters };
  }

  /**
   * For the campaign's reconciliation: whether each redemption id was committed here (rolled back counts: its
   * rollback gives the budget back itself), is still waiting on the campaign, or never committed and never will:
   * a hold is dropped in the same synchronous step that commits or abandons its redemption, so absent is final.
   */
  async redemptionStates(ids: string[]): Promise<RedemptionState[]> {
    const waiting = this.holds.ids();
    return ids.map((id) => (this.store.findRedemption(id) ? "committed" : waiting.has(id) ? "in_flight" : "absent"));
  }

  async rollback(ref: VoucherRef, redemptionId: string, reason: string | null): Promise<RollbackOutcome> {
    const snapshot = await this.ensure(ref);
    if (!snapshot) return null;
    const redemption = this.store.findRedemption(redemptionId);
    if (!redemption) return { kind: "not_found" };
    if (redemption.status === "rolled_back") return { kind: "already_rolled_back", redemption };
    const now = Date.now();
    if (now > redemption.createdAt + ROLLBACK_WINDOW_MS) return { kind: "window_expired" };
    const rolledBack: RedemptionRecord = { ...redemption, status: "rolled_back", rolledBackAt: now, rollbackReason: reason };
    const { definition, counters } = this.snapshot!;
    const restored: Counters = {
      redemptionsCount: counters.redemptionsCount - 1,
      giftCardBalance: definition.type === "gift_card" ? (counters.giftCardBalance ?? 0) + redemption.discountAmount : counters.giftCardBalance,
    };
    this.ctx.storage.transactionSync(() => {
      this.store.markRolledBack(rolledBack);
      // Replaces the "redeemed" entry if it has not shipped yet: the rolled-back record says everything.
      this.outbox.put(redemptionEntry(rolledBack), `redemption:${rolledBack.id}`);
      this.save(definition, restored, true);
    });
    // Give the budget back now; the alarm retries it if the campaign's object cannot be reached.
    await this.releaseBudgets();
    await this.shipper.soon();
    return { kind: "rolled_back", redemption: rolledBack };
  }

  /**
   * Erasure (API.md §7): the customer's redemptions here, and those waiting in the outbox, name the pseudonym from
   * now on; per-customer limits then count them under it, and the id registered again starts afresh.
   */
  async eraseCustomer(customerId: string, pseudonym: string, before: number): Promise<number> {
    return this.ctx.storage.transactionSync(() => {
      this.outbox.renameCustomer(customerId, pseudonym, before);
      return this.store.renameCustomer(customerId, pseudonym, before);
    });
  }

  async patch(ref: VoucherRef, changes: VoucherPatch): Promise<Snapshot | null> {
    const snapshot = await this.ensure(ref);
    if (!snapshot) return null;
    const { definition: current, counters } = this.snapshot!;
    const definition: VoucherDefinition = {
      ...current,
      ...(changes.metadata !== undefined ? { metadata: changes.metadata } : {}),
      ...(changes.expiresAt !== undefined ? { expiresAt: changes.expiresAt } : {}),
      ...(changes.active !== undefined ? { active: changes.active } : {}),
      updatedAt: Date.now(),
    };
    this.ctx.storage.transactionSync(() => {
      this.store.saveDefinition(definition);
      this.save(definition, counters, true);
    });
    await this.shipper.soon();
    return { definition, counters };
  }

  override async alarm(): Promise<void> {
    this.shipper.alarmFired();
    await this.releaseBudgets();
    await this.shipper.tick();
  }

  /** Gives the campaign back the budget of rollbacks it has not taken yet. Never throws. */
  private async releaseBudgets() {
    let pending = this.store.pendingReleases();
    if (pending.length === 0) return;
    const teamId = this.load()!.definition.teamId;
    try {
      while (pending.length > 0) {
        for (const r of pending) {
          await this.campaign(r.campaignId!).release({ teamId, campaignId: r.campaignId! }, r.id);
          this.store.markReleased(r.id);
        }
        pending = this.store.pendingReleases();
      }
      this.releaseFailures = 0;
    } catch (err) {
      this.releaseFailures += 1;
      await this.shipper.retryLater("campaign release", this.releaseFailures, err);
    }
  }

  private campaign(campaignId: string) {
    return this.env.CAMPAIGNS.get(this.env.CAMPAIGNS.idFromName(campaignId));
  }

  private campaignRef({ definition }: Snapshot) {
    return { teamId: definition.teamId, campaignId: definition.campaignId! };
  }

  private customerCount(customerId: string | undefined): number {
    if (!customerId) return 0;
    return this.holds.ofCustomer(customerId) + this.store.customerCount(customerId);
  }

  /**
   * What the voucher knows of the customer, read after the last await so concurrent calls see each other:
   * this voucher's own redemptions and holds make first_order_only exact here; `inD1` (other vouchers) lags.
   */
  private customerFacts(def: VoucherDefinition, customerId: string | undefined, inD1: boolean): CustomerFacts {
    const redemptionsOfVoucher = this.customerCount(customerId);
    return { redemptionsOfVoucher, hasEarlierOrders: inD1 || (def.rules.first_order_only && redemptionsOfVoucher > 0) };
  }

  /**
   * Only vouchers with first_order_only pay for this D1 read. Its answer covers the team's other vouchers, whose
   * history reaches D1 a second or two late, so two first orders racing on two different vouchers can both pass.
   */
  private async earlierOrdersInD1(def: VoucherDefinition, customerId: string | undefined): Promise<boolean> {
    if (!def.rules.first_order_only || !customerId) return false;
    if (this.customerCount(customerId) > 0) return true;
    const row = await this.env.DB.prepare("SELECT 1 FROM redemptions WHERE team_id = ? AND customer_id = ? AND status = 'redeemed' LIMIT 1")
      .bind(def.teamId, customerId)
      .first();
    return row !== null;
  }

  /**
   * Counters (and, on first save, the definition); `mirrored` marks a change D1's copy must follow, numbered from
   * `startVersion` (D1's number when the voucher is loaded from D1). The state itself joins the next send.
   */
  private save(definition: VoucherDefinition, counters: Counters, mirrored: boolean, startVersion = 0) {
    if (!this.snapshot) this.store.saveDefinition(definition);
    this.store.saveCounters(counters, mirrored, startVersion);
    this.snapshot = { definition, counters };
  }

  /** What a send carries besides the outbox: the voucher's state if D1 lacks it, the validation totals so far. */
  private derivedEntries(): Derived {
    const snapshot = this.load();
    if (!snapshot) return { entries: [], accepted: () => {} };
    // The state in memory is the one numbered `version`: both change together, with no await between.
    const version = this.store.unshippedMirrorVersion();
    const state = version === null ? [] : [voucherStateEntry(snapshot, version)];
    if (this.validations.counting) this.ctx.storage.transactionSync(() => this.validations.fold());
    const totals = this.validations.unshipped(snapshot.definition.id);
    return {
      entries: [...state, ...totals],
      accepted: () => {
        if (version !== null) this.store.markMirrorShipped(version);
        this.validations.markShipped(totals);
      },
    };
  }

  private load(): Snapshot | null {
    if (!this.snapshot) {
      this.snapshot = this.store.load() ?? undefined;
      this.validations.known(this.store.unshippedTotalsAtLoad);
    }
    return this.snapshot ?? null;
  }

  /** The voucher, from memory, then this object's storage, then (first use only) D1. */
  private async ensure(ref: VoucherRef): Promise<Snapshot | null> {
    const local = this.load();
    if (local) return local;
    const row = await this.env.DB.prepare("SELECT * FROM vouchers WHERE team_id = ? AND code = ?").bind(ref.teamId, ref.code).first();
    // Installed while D1 answered: that state is at least as fresh.
    if (this.load()) return this.snapshot!;
    if (!row) return null;
    const snapshot = definitionFromRow(row);
    this.save(snapshot.definition, snapshot.counters, false, mirrorVersionOf(row));
    return snapshot;
  }
}
