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
// Its parts: storage (./voucher-storage.ts), outbox and shipper (with what a send derives: ./voucher-derived.ts),
// validation counts, reservations (./voucher-reservations.ts), its customers' reservation reports and erasure
// (./voucher-customers.ts), what a new call is judged by (./voucher-standing.ts) and the budget owed back to the
// campaign (./voucher-releases.ts); this class holds the RPC methods and the order of their steps.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { redemptionEntry } from "../domain/ledger";
import { definitionFromRow, mirrorVersionOf } from "../db/voucher-rows";
import { evaluate, type Counters, type Evaluation, type RedemptionRequest, type VoucherDefinition } from "../domain/voucher-rules";
import { type Hold, Holds } from "./voucher-holds";
import { Outbox } from "./voucher-outbox";
import { OutboxShipper, SHIP_INTERVAL_MS } from "./voucher-shipper";
import { derivedEntries } from "./voucher-derived";
import { VoucherStorage } from "./voucher-storage";
import { CampaignReleases } from "./voucher-releases";
import { VoucherStanding } from "./voucher-standing";
import { VoucherCustomers } from "./voucher-customers";
import { newReservationRecord, redemptionIdOf, type ReservationRecord, Reservations, reservationIdOf } from "./voucher-reservations";
import { ValidationCounts } from "./voucher-validations";
import type { ValidationTally } from "../domain/validation-tally";
import type { CampaignAsk, CampaignDecision } from "./campaign";
import { LazyTables } from "./sqlite-schema";
import {
  type Admission,
  type GivenRequest,
  mismatches,
  newRedemptionRecord,
  type PreviewOutcome,
  type RedeemOutcome,
  type RedemptionRecord,
  type RedemptionState,
  type ReleaseOutcome,
  type ReservationOutcome,
  type ReserveOutcome,
  ROLLBACK_WINDOW_MS,
  type RollbackOutcome,
  type Snapshot,
  type ValidateOutcome,
  type VoucherPatch,
  type VoucherRef,
  view,
} from "./voucher-types";

export * from "./voucher-types";

/** A campaign voucher's evaluation once its campaign has answered (null: the campaign is gone, so ended). */
const withCampaign = (evaluation: Evaluation, decision: CampaignDecision | null): Evaluation =>
  !decision ? { ok: false, reason: "campaign_ended" } : decision.ok ? evaluation : decision;

/** Raised whenever the object's tables change (see the migrate methods). */
const VOUCHER_SCHEMA_VERSION = 3;

export class VoucherObject extends DurableObject<Env> {
  private readonly store: VoucherStorage;
  private snapshot: Snapshot | undefined;
  private readonly outbox: Outbox;
  private readonly validations: ValidationCounts;
  private readonly reservations: Reservations;
  private readonly shipper: OutboxShipper;
  private readonly releases: CampaignReleases;
  private readonly holds = new Holds();
  private readonly standing: VoucherStanding;
  private readonly customers: VoucherCustomers;

  /** Created with the object's first voucher: a code that exists nowhere leaves no storage (LazyTables). */
  private readonly tables: LazyTables;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    this.store = new VoucherStorage(sql);
    this.outbox = new Outbox(sql);
    this.validations = new ValidationCounts(sql);
    this.reservations = new Reservations(ctx.storage);
    // A quiet voucher's object starts for nearly every call: its tables are checked with one query, not one each.
    this.tables = new LazyTables(sql, VOUCHER_SCHEMA_VERSION, () =>
      ctx.storage.transactionSync(() => {
        this.store.migrate();
        this.outbox.migrate();
        this.validations.migrate();
        this.reservations.migrate();
        this.store.adoptLegacyFlags(this.outbox);
      }),
    );
    this.shipper = new OutboxShipper(ctx, this.outbox, {
      queue: () => this.env.LEDGER_QUEUE,
      voucher: () => this.load()?.definition ?? null,
      derived: () => derivedEntries(ctx.storage, this.store, this.validations, this.load()),
      earliestAlarm: () => this.reservations.nextExpiry(),
      unwritten: () => this.outbox.deletionsPending,
      writeSent: () => this.outbox.writeDeletions(),
    });
    this.standing = new VoucherStanding(this.store, this.reservations, this.holds, () => this.env.DB);
    this.customers = new VoucherCustomers(ctx.storage, this.store, this.outbox, this.reservations, () => this.load()?.definition ?? null);
    this.releases = new CampaignReleases(this.store, this.reservations, {
      env: () => this.env,
      teamId: () => this.load()!.definition.teamId,
      retryLater: (what, failures, err) => this.shipper.retryLater(what, failures, err),
    });
  }

  /** Called right after the voucher is created in D1, so the first checkout needs no D1 read. */
  async install(definition: VoucherDefinition, counters: Counters): Promise<void> {
    this.tables.create();
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
    if (tallies.length === 0) return;
    this.tables.create();
    for (const t of tallies) this.validations.add(t);
    this.shipper.schedule(SHIP_INTERVAL_MS);
  }

  /** The voucher's own rules on a validation of the loaded voucher, and what its campaign must be asked if they pass. */
  private async ownEvaluation(request: RedemptionRequest): Promise<{ outcome: NonNullable<ValidateOutcome>; campaign: { id: string; ask: CampaignAsk } | null }> {
    const inD1 = await this.standing.earlierOrdersInD1(this.snapshot!.definition, request.customer_id);
    const current = this.snapshot!;
    const facts = this.standing.customerFacts(current.definition, request.customer_id, inD1);
    const available = this.standing.counted(current.counters);
    const evaluation = evaluate(current.definition, available, request, facts, Date.now());
    const outcome = { voucher: view(current.definition), counters: current.counters, available, evaluation };
    const campaignId = current.definition.campaignId;
    if (!evaluation.ok || !campaignId) return { outcome, campaign: null };
    return { outcome, campaign: { id: campaignId, ask: { customerId: request.customer_id ?? null, amount: evaluation.discountAmount } } };
  }

  async redeem(ref: VoucherRef, request: RedemptionRequest, redemptionId: string): Promise<RedeemOutcome> {
    const snapshot = await this.ensure(ref);
    if (!snapshot) return null;
    return this.admit(snapshot, request, redemptionId, null, (discountAmount) => {
      const redemption = newRedemptionRecord(this.snapshot!.definition, redemptionId, request.customer_id ?? null, request.order, discountAmount);
      return this.commitRedemption(redemption, () => {});
    });
  }

  /**
   * Holds the voucher for `request` until `expiresAt` (API.md §10): checked and counted exactly as a redemption,
   * the campaign's budget reserved under the redemption id it will become; the alarm gives it back at expiry.
   */
  async reserve(ref: VoucherRef, request: RedemptionRequest, reservationId: string, ttlMs: number): Promise<ReserveOutcome> {
    const snapshot = await this.ensure(ref);
    if (!snapshot) return null;
    const expiresAt = Date.now() + ttlMs;
    const outcome = await this.admit(snapshot, request, redemptionIdOf(reservationId), expiresAt, (discountAmount) => {
      const reservation = newReservationRecord(this.snapshot!.definition, reservationId, request, discountAmount, expiresAt);
      this.ctx.storage.transactionSync(() => {
        this.reservations.insert(reservation);
        if (reservation.customerId) this.customers.reportReservations(reservation.customerId, reservation.createdAt);
      });
      return { kind: "reserved" as const, reservation };
    });
    if (outcome.kind !== "reserved") return outcome;
    if (outcome.reservation.customerId) await this.shipper.soon();
    await this.reservations.armExpiry();
    return outcome;
  }

  /**
   * Turns a held reservation into its redemption, with the amounts it was granted: its count, balance and budget
   * are already spent, so no limit is checked again and the campaign is not asked.
   */
  async redeemReservation(ref: VoucherRef, reservationId: string, given: GivenRequest): Promise<RedeemOutcome> {
    if (!(await this.ensure(ref))) return null;
    const reservation = await this.reservationNow(reservationId);
    if (!reservation) return { kind: "reservation_not_found" };
    if (reservation.status !== "held") return { kind: "not_held", reservation };
    const wrong = mismatches(reservation, given);
    if (wrong.length > 0) return { kind: "mismatch", fields: wrong };
    const redemption = newRedemptionRecord(this.snapshot!.definition, redemptionIdOf(reservationId), reservation.customerId, reservation.order, reservation.discountAmount, reservation.currency);
    return this.commitRedemption(redemption, () => this.reservations.end(reservation, "redeemed", redemption.createdAt, redemption.id));
  }

  async getReservation(ref: VoucherRef, reservationId: string): Promise<ReservationOutcome> {
    if (!(await this.ensure(ref))) return null;
    const reservation = await this.reservationNow(reservationId);
    return reservation ? { kind: "found", reservation } : { kind: "not_found" };
  }

  /** Gives back what a held reservation took, at once (the campaign's share too, retried by the alarm if need be). */
  async releaseReservation(ref: VoucherRef, reservationId: string): Promise<ReleaseOutcome> {
    if (!(await this.ensure(ref))) return null;
    const reservation = await this.reservationNow(reservationId);
    if (!reservation) return { kind: "not_found" };
    if (reservation.status !== "held") return { kind: "not_held", reservation };
    const released = this.reservations.endNow(reservation, "released", Date.now());
    await this.releases.run();
    return { kind: "released", reservation: released };
  }

  /**
   * The reservation as of now. One still held past its time is expired here, as the alarm due this instant would
   * (its campaign share given back); a held one resolves with no I/O, so the caller's next step is not interleaved.
   */
  private async reservationNow(id: string): Promise<ReservationRecord | null> {
    const reservation = this.reservations.find(id);
    if (!reservation || reservation.status !== "held" || Date.now() < reservation.expiresAt) return reservation;
    const expired = this.reservations.endNow(reservation, "expired", Date.now());
    await this.releases.run();
    return expired;
  }

  /**
   * Checks a new redemption or reservation and, on a campaign voucher, reserves its campaign share under `key` (the
   * redemption id); `commit` runs in the same synchronous step that drops this call's hold, so a concurrent call
   * always sees it either held or committed. `settleAt` is when the campaign may start asking after it.
   */
  private async admit<T>(snapshot: Snapshot, request: RedemptionRequest, key: string, settleAt: number | null, commit: (discountAmount: number) => T): Promise<T | Admission> {
    const inD1 = await this.standing.earlierOrdersInD1(snapshot.definition, request.customer_id);
    // From here to the decision nothing yields, except waiting on the campaign while this call holds its place.
    const { definition: def, counters } = this.snapshot!;
    const orderId = request.order.id ?? null;
    const customerId = request.customer_id ?? null;
    if (orderId !== null) {
      const dup = this.store.redemptionOfOrder(orderId);
      if (dup) return { kind: "duplicate", redemptionId: dup };
      const reserved = this.reservations.holdingOrder(orderId);
      if (reserved) return { kind: "duplicate", redemptionId: null, reservationId: reserved };
      if (this.holds.hasOrder(orderId)) return { kind: "duplicate", redemptionId: null };
    }
    const facts = this.standing.customerFacts(def, request.customer_id, inD1);
    const evaluation = evaluate(def, this.standing.counted(counters), request, facts, Date.now());
    if (!evaluation.ok) return { kind: "rejected", reason: evaluation.reason };
    if (!def.campaignId) return commit(evaluation.discountAmount);
    const hold: Hold = { redemptionId: key, orderId, customerId, amount: evaluation.discountAmount };
    this.holds.add(hold);
    try {
      const ask = { customerId, amount: evaluation.discountAmount };
      const decision = await this.campaign(def.campaignId).reserve(this.campaignRef(snapshot), key, ask, def.code, settleAt ?? undefined);
      if (!decision) return { kind: "rejected", reason: "campaign_ended" };
      if (!decision.ok) return { kind: "rejected", reason: decision.reason };
      return commit(evaluation.discountAmount);
    } finally {
      this.holds.delete(hold);
    }
  }

  /** Commits a redemption, with `alongside` (a reservation's end) in the same storage transaction. */
  private async commitRedemption(redemption: RedemptionRecord, alongside: () => void): Promise<RedeemOutcome> {
    const { definition: def, counters: current } = this.snapshot!;
    const counters: Counters = {
      redemptionsCount: current.redemptionsCount + 1,
      giftCardBalance: def.type === "gift_card" ? (current.giftCardBalance ?? 0) - redemption.discountAmount : current.giftCardBalance,
    };
    this.ctx.storage.transactionSync(() => {
      alongside();
      this.store.insertRedemption(redemption);
      this.outbox.add(redemptionEntry(redemption), `redemption:${redemption.id}`);
      this.save(def, counters, true);
    });
    await this.shipper.soon();
    return { kind: "redeemed", redemption, voucher: view(def), counters, available: this.standing.counted(counters) };
  }

  /**
   * For the campaign's reconciliation: whether each redemption id was committed here (rolled back counts: its
   * rollback gives the budget back itself), is still waiting on the campaign, or never committed and never will:
   * a hold is dropped in the same synchronous step that commits or abandons its redemption, so absent is final.
   */
  async redemptionStates(ids: string[]): Promise<RedemptionState[]> {
    // No tables: this object never held a voucher, so nothing was ever committed or held here.
    if (!this.tables.exist) return ids.map(() => "absent");
    const waiting = this.holds.ids();
    return ids.map((id) => {
      if (this.store.findRedemption(id)) return "committed";
      // A held reservation's redemption may still come: it is settled when the reservation ends.
      if (waiting.has(id) || this.reservations.find(reservationIdOf(id))?.status === "held") return "in_flight";
      return "absent";
    });
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
    await this.releases.run();
    await this.shipper.soon();
    return { kind: "rolled_back", redemption: rolledBack };
  }

  /** A data-subject export (API.md §7): the customer's reservations this voucher keeps. */
  async customerReservations(customerId: string): Promise<ReservationRecord[]> {
    if (!this.tables.exist) return [];
    return this.reservations.ofCustomerRecords(customerId);
  }

  /** Erasure (API.md §7): see VoucherCustomers.erase. */
  async eraseCustomer(customerId: string, pseudonym: string, before: number): Promise<number> {
    if (!this.tables.exist) return 0;
    const { renamed, reported } = this.customers.erase(customerId, pseudonym, before);
    if (reported) await this.shipper.soon();
    return renamed;
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
    if (!this.tables.exist) return;
    this.shipper.alarmFired();
    this.reservations.expireDue(Date.now());
    await this.releases.run();
    await this.shipper.tick();
    await this.reservations.armExpiry();
  }

  private campaign(campaignId: string) {
    return this.env.CAMPAIGNS.get(this.env.CAMPAIGNS.idFromName(campaignId));
  }

  private campaignRef({ definition }: Snapshot) {
    return { teamId: definition.teamId, campaignId: definition.campaignId! };
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

  private load(): Snapshot | null {
    if (!this.snapshot && this.tables.exist) {
      this.snapshot = this.store.load() ?? undefined;
      this.validations.known(this.store.unshippedTotalsAtLoad);
      if (this.store.heldAtLoad) this.reservations.known(this.store.heldAtLoad);
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
    this.tables.create();
    const snapshot = definitionFromRow(row);
    this.save(snapshot.definition, snapshot.counters, false, mirrorVersionOf(row));
    return snapshot;
  }
}
