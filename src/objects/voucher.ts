// One Durable Object per voucher, named "<team id>:<CODE>" so a checkout reaches it by code with no D1 lookup.
// It serializes everything that must be atomic for the voucher: the total and per-customer limits, the
// gift-card balance and duplicate order ids are checked and updated in one synchronous step.
// A redemption is durable when the object answers. D1 (history, listing, reports) learns of it from the object's
// own tables (see voucher-storage.ts), flushed by an alarm that retries with backoff until D1 has everything.
// A campaign voucher also asks its campaign's object: check on validate, reserve (budget, campaign-wide customer
// count, pause, end) on redeem, release on rollback (retried by the same flush if the campaign cannot be reached);
// the campaign asks back (redemptionStates) about reservations it has not seen committed, to give back lost ones.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { definitionFromRow, mirrorStatement, mirrorVersionOf, redemptionStatements } from "../services/voucher-store";
import { evaluate, type Counters, type CustomerFacts, type Evaluation, type Reason, type RedemptionRequest, type VoucherDefinition } from "../services/voucher-rules";
import { VoucherStorage } from "./voucher-storage";

export const ROLLBACK_WINDOW_MS = 30 * 60 * 1000;

export type VoucherRef = { teamId: string; code: string };

export type RedemptionRecord = {
  id: string;
  voucherId: string;
  code: string;
  campaignId: string | null;
  customerId: string | null;
  order: RedemptionRequest["order"];
  discountAmount: number;
  currency: string | null;
  status: "redeemed" | "rolled_back";
  createdAt: number;
  rolledBackAt: number | null;
  rollbackReason: string | null;
};

export type Snapshot = { definition: VoucherDefinition; counters: Counters };
/** What a checkout answer shows of the voucher: no rules (allow-lists can be long) or bookkeeping crosses the RPC. */
export type VoucherView = Pick<VoucherDefinition, "code" | "campaignId" | "type" | "discount" | "currency" | "giftCardAmount" | "expiresAt" | "metadata" | "redemptionLimit">;
export type ValidateOutcome = { voucher: VoucherView; counters: Counters; evaluation: Evaluation } | null;
export type RedeemOutcome =
  | null
  | { kind: "redeemed"; redemption: RedemptionRecord; voucher: VoucherView; counters: Counters }
  | { kind: "rejected"; reason: Reason }
  | { kind: "duplicate"; redemptionId: string };
export type RollbackOutcome =
  | null
  | { kind: "not_found" }
  | { kind: "already_rolled_back"; redemption: RedemptionRecord }
  | { kind: "window_expired" }
  | { kind: "rolled_back"; redemption: RedemptionRecord };
/** What a campaign's reconciliation learns of a redemption it reserved budget for. */
export type RedemptionState = "committed" | "in_flight" | "absent";
export type VoucherPatch = { metadata?: Record<string, string>; expiresAt?: number | null; active?: boolean };

const view = (d: VoucherDefinition): VoucherView => ({
  code: d.code,
  campaignId: d.campaignId,
  type: d.type,
  discount: d.discount,
  currency: d.currency,
  giftCardAmount: d.giftCardAmount,
  expiresAt: d.expiresAt,
  metadata: d.metadata,
  redemptionLimit: d.redemptionLimit,
});

const MAX_BACKOFF_MS = 5 * 60 * 1000;
const FLUSH_BATCH = 100;
/**
 * How long a change waits before D1 is written, so that one D1 write carries every redemption of that second:
 * a flush per redemption halved checkout throughput (BENCHMARKS.md). History and lists lag by about this much.
 */
const FLUSH_DELAY_MS = 1000;

/** A redemption waiting on its campaign's answer: it holds its place so concurrent calls count it. */
type Hold = { redemptionId: string; orderId: string | null; customerId: string | null; amount: number };

export class VoucherObject extends DurableObject<Env> {
  private readonly store: VoucherStorage;
  private snapshot: Snapshot | undefined;
  private holds = new Set<Hold>();
  private alarmArmed = false;
  private flushFailures = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new VoucherStorage(ctx.storage.sql);
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
    const inD1 = await this.earlierOrdersInD1(snapshot.definition, request.customer_id);
    const current = this.snapshot!;
    const facts = this.customerFacts(current.definition, request.customer_id, inD1);
    const evaluation = evaluate(current.definition, this.withHolds(current.counters), request, facts, Date.now());
    const answer = { voucher: view(current.definition), counters: current.counters };
    const campaignId = current.definition.campaignId;
    if (!evaluation.ok || !campaignId) return { ...answer, evaluation };
    const decision = await this.campaign(campaignId).check(this.campaignRef(current), { customerId: request.customer_id ?? null, amount: evaluation.discountAmount });
    if (!decision) return { ...answer, evaluation: { ok: false, reason: "campaign_ended" } };
    return { ...answer, evaluation: decision.ok ? evaluation : decision };
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
      if ([...this.holds].some((h) => h.orderId === orderId)) return { kind: "duplicate", redemptionId: "a concurrent request" };
    }
    const facts = this.customerFacts(def, request.customer_id, inD1);
    const evaluation = evaluate(def, this.withHolds(counters), request, facts, Date.now());
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
      this.save(def, counters, true);
    });
    await this.armFlush();
    return { kind: "redeemed", redemption, voucher: view(def), counters };
  }

  /**
   * For the campaign's reconciliation: whether each redemption id was committed here (rolled back counts: its
   * rollback gives the budget back itself), is still waiting on the campaign, or never committed and never will:
   * a hold is dropped in the same synchronous step that commits or abandons its redemption, so absent is final.
   */
  async redemptionStates(ids: string[]): Promise<RedemptionState[]> {
    const waiting = new Set([...this.holds].map((h) => h.redemptionId));
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
      this.save(definition, restored, true);
    });
    // Give the budget back now; the flush retries it if the campaign's object cannot be reached.
    await this.flush();
    return { kind: "rolled_back", redemption: rolledBack };
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
    await this.armFlush();
    return { definition, counters };
  }

  override async alarm(): Promise<void> {
    this.alarmArmed = false;
    await this.flush();
  }

  /** Delivers what D1 and the campaign lack. Never throws: a failure re-arms the alarm with backoff. */
  private async flush(): Promise<void> {
    const snapshot = this.load();
    if (!snapshot) return;
    const { redemptions, releases, mirrorDirty } = this.store.pending(FLUSH_BATCH);
    if (redemptions.length === 0 && !mirrorDirty) return;
    const teamId = snapshot.definition.teamId;
    try {
      for (const r of releases) await this.campaign(r.campaignId!).release({ teamId, campaignId: r.campaignId! }, r.id);
      const statements = redemptions.flatMap((r) => redemptionStatements(this.env.DB, teamId, r));
      // The state and its number are read together, after the last await: another flush (a rollback's) may be
      // writing too, and D1 keeps whichever carries the higher number.
      const version = this.store.mirrorVersion();
      await this.env.DB.batch([...statements, mirrorStatement(this.env.DB, this.load() ?? snapshot, version)]);
      this.store.markDelivered(redemptions, version);
      this.flushFailures = 0;
      if (this.store.hasPending()) await this.armFlush();
    } catch (err) {
      this.flushFailures += 1;
      const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(this.flushFailures, 9));
      console.error(JSON.stringify({ level: "warn", object: "voucher", code: snapshot.definition.code, pending: redemptions.length, retry_in_ms: delay, error: err instanceof Error ? err.message : String(err) }));
      await this.ctx.storage.setAlarm(Date.now() + delay);
      this.alarmArmed = true;
    }
  }

  private async armFlush(delay = FLUSH_DELAY_MS) {
    if (this.alarmArmed) return;
    this.alarmArmed = true;
    await this.ctx.storage.setAlarm(Date.now() + delay);
  }

  private campaign(campaignId: string) {
    return this.env.CAMPAIGNS.get(this.env.CAMPAIGNS.idFromName(campaignId));
  }

  private campaignRef({ definition }: Snapshot) {
    return { teamId: definition.teamId, campaignId: definition.campaignId! };
  }

  /** Counters as seen by a new request: redemptions waiting on their campaign already hold their place. */
  private withHolds(counters: Counters): Counters {
    let amount = 0;
    for (const h of this.holds) amount += h.amount;
    return {
      redemptionsCount: counters.redemptionsCount + this.holds.size,
      giftCardBalance: counters.giftCardBalance === null ? null : counters.giftCardBalance - amount,
    };
  }

  private customerCount(customerId: string | undefined): number {
    if (!customerId) return 0;
    return [...this.holds].filter((h) => h.customerId === customerId).length + this.store.customerCount(customerId);
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
   * history reaches D1 about a second late, so two first orders racing on two different vouchers can both pass.
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
   * Counters (and, on first save, the definition); `mirror` marks a change D1's copy must follow, numbered from
   * `startVersion` (D1's number when the voucher is loaded from D1).
   */
  private save(definition: VoucherDefinition, counters: Counters, mirror: boolean, startVersion = 0) {
    if (!this.snapshot) this.store.saveDefinition(definition);
    this.store.saveCounters(counters, mirror, startVersion);
    this.snapshot = { definition, counters };
  }

  private load(): Snapshot | null {
    this.snapshot ??= this.store.load() ?? undefined;
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
