// One Durable Object per voucher, named "<team id>:<CODE>" so a checkout reaches it by code with no D1 lookup.
// It serializes everything that must be atomic for the voucher: the total and per-customer limits, the
// gift-card balance and duplicate order ids are checked and updated in one synchronous SQLite transaction.
// A redemption is durable when the object answers. D1 (history, listing, reports) is fed from an outbox in the
// same transaction, flushed by an alarm that retries with backoff until D1 has taken every event.
// A campaign voucher also asks its campaign's object: check on validate, reserve (budget, campaign-wide customer
// count, pause, end) on redeem, release on rollback (from the outbox, so a failed release is retried too).
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { definitionFromRow, mirrorStatement, redemptionStatements } from "../services/voucher-store";
import { evaluate, type Counters, type Evaluation, type Reason, type RedemptionRequest, type VoucherDefinition } from "../services/voucher-rules";

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
export type ValidateOutcome = (Snapshot & { evaluation: Evaluation }) | null;
export type RedeemOutcome =
  | null
  | (Snapshot & { kind: "redeemed"; redemption: RedemptionRecord })
  | { kind: "rejected"; reason: Reason }
  | { kind: "duplicate"; redemptionId: string };
export type RollbackOutcome =
  | null
  | { kind: "not_found" }
  | { kind: "already_rolled_back"; redemption: RedemptionRecord }
  | { kind: "window_expired" }
  | { kind: "rolled_back"; redemption: RedemptionRecord };
export type VoucherPatch = { metadata?: Record<string, string>; expiresAt?: number | null; active?: boolean };

const MAX_BACKOFF_MS = 5 * 60 * 1000;
const FLUSH_BATCH = 40;

type OutboxEvent = { kind: "redemption"; redemption: RedemptionRecord } | { kind: "mirror" } | { kind: "release"; campaignId: string; key: string };
/** A redemption waiting on its campaign's answer: it holds its place so concurrent calls count it. */
type Hold = { orderId: string | null; customerId: string | null; amount: number };

export class VoucherObject extends DurableObject<Env> {
  private snapshot: Snapshot | undefined;
  private alarmArmed = false;
  private flushFailures = 0;
  private holds = new Set<Hold>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    sql.exec(`CREATE TABLE IF NOT EXISTS state (
      singleton INTEGER PRIMARY KEY CHECK (singleton = 1), definition TEXT NOT NULL,
      redemptions_count INTEGER NOT NULL, gift_card_balance INTEGER)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS redemptions (
      id TEXT PRIMARY KEY, customer_id TEXT, order_id TEXT, status TEXT NOT NULL, created_at INTEGER NOT NULL, record TEXT NOT NULL)`);
    sql.exec("CREATE INDEX IF NOT EXISTS redemptions_customer ON redemptions (customer_id, status)");
    sql.exec("CREATE INDEX IF NOT EXISTS redemptions_order ON redemptions (order_id, status)");
    sql.exec("CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, event TEXT NOT NULL)");
  }

  /** Called right after the voucher is created in D1, so the first checkout needs no D1 read. */
  async install(definition: VoucherDefinition, counters: Counters): Promise<void> {
    if (this.load() === null) this.saveState({ definition, counters });
  }

  async get(ref: VoucherRef): Promise<Snapshot | null> {
    return this.ensure(ref);
  }

  async validate(ref: VoucherRef, request: RedemptionRequest): Promise<ValidateOutcome> {
    const snapshot = await this.ensure(ref);
    if (!snapshot) return null;
    const facts = await this.customerFacts(snapshot.definition, request.customer_id);
    const current = this.snapshot ?? snapshot;
    const evaluation = evaluate(current.definition, this.withHolds(current.counters), request, facts, Date.now());
    const campaignId = current.definition.campaignId;
    if (!evaluation.ok || !campaignId) return { ...current, evaluation };
    const decision = await this.campaign(campaignId).check(this.campaignRef(current), { customerId: request.customer_id ?? null, amount: evaluation.discountAmount });
    if (!decision) return { ...current, evaluation: { ok: false, reason: "campaign_ended" } };
    return { ...current, evaluation: decision.ok ? evaluation : decision };
  }

  async redeem(ref: VoucherRef, request: RedemptionRequest, redemptionId: string): Promise<RedeemOutcome> {
    const snapshot = await this.ensure(ref);
    if (!snapshot) return null;
    const earlier = await this.hasEarlierOrders(snapshot.definition, request.customer_id);
    // From here to the decision nothing yields, except waiting on the campaign while this redemption holds its place.
    const { definition: def, counters } = this.snapshot ?? snapshot;
    const orderId = request.order.id ?? null;
    const customerId = request.customer_id ?? null;
    if (orderId !== null) {
      const dup = this.ctx.storage.sql
        .exec<{ id: string }>("SELECT id FROM redemptions WHERE order_id = ? AND status = 'redeemed' LIMIT 1", orderId)
        .toArray()[0];
      if (dup) return { kind: "duplicate", redemptionId: dup.id };
      if ([...this.holds].some((h) => h.orderId === orderId)) return { kind: "duplicate", redemptionId: "a concurrent request" };
    }
    const facts = { redemptionsOfVoucher: this.customerCount(request.customer_id), hasEarlierOrders: earlier };
    const evaluation = evaluate(def, this.withHolds(counters), request, facts, Date.now());
    if (!evaluation.ok) return { kind: "rejected", reason: evaluation.reason };
    if (def.campaignId) {
      const hold: Hold = { orderId, customerId, amount: evaluation.discountAmount };
      this.holds.add(hold);
      let decision;
      try {
        decision = await this.campaign(def.campaignId).reserve(this.campaignRef(snapshot), redemptionId, { customerId, amount: evaluation.discountAmount });
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
    const now = Date.now();
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
      createdAt: now,
      rolledBackAt: null,
      rollbackReason: null,
    };
    const counters: Counters = {
      redemptionsCount: current.redemptionsCount + 1,
      giftCardBalance: def.type === "gift_card" ? (current.giftCardBalance ?? 0) - discountAmount : current.giftCardBalance,
    };
    this.ctx.storage.transactionSync(() => {
      this.ctx.storage.sql.exec(
        "INSERT INTO redemptions (id, customer_id, order_id, status, created_at, record) VALUES (?, ?, ?, 'redeemed', ?, ?)",
        redemption.id,
        redemption.customerId,
        request.order.id ?? null,
        now,
        JSON.stringify(redemption),
      );
      this.saveState({ definition: def, counters });
      this.enqueue({ kind: "redemption", redemption });
    });
    await this.armFlush();
    return { kind: "redeemed", redemption, definition: def, counters };
  }

  async rollback(ref: VoucherRef, redemptionId: string, reason: string | null): Promise<RollbackOutcome> {
    const snapshot = await this.ensure(ref);
    if (!snapshot) return null;
    const row = this.ctx.storage.sql.exec<{ record: string }>("SELECT record FROM redemptions WHERE id = ?", redemptionId).toArray()[0];
    if (!row) return { kind: "not_found" };
    const redemption = JSON.parse(row.record) as RedemptionRecord;
    if (redemption.status === "rolled_back") return { kind: "already_rolled_back", redemption };
    const now = Date.now();
    if (now > redemption.createdAt + ROLLBACK_WINDOW_MS) return { kind: "window_expired" };
    const rolledBack: RedemptionRecord = { ...redemption, status: "rolled_back", rolledBackAt: now, rollbackReason: reason };
    const { definition, counters } = snapshot;
    const restored: Counters = {
      redemptionsCount: counters.redemptionsCount - 1,
      giftCardBalance: definition.type === "gift_card" ? (counters.giftCardBalance ?? 0) + redemption.discountAmount : counters.giftCardBalance,
    };
    this.ctx.storage.transactionSync(() => {
      this.ctx.storage.sql.exec("UPDATE redemptions SET status = 'rolled_back', record = ? WHERE id = ?", JSON.stringify(rolledBack), redemptionId);
      this.saveState({ definition, counters: restored });
      this.enqueue({ kind: "redemption", redemption: rolledBack });
      if (redemption.campaignId) this.enqueue({ kind: "release", campaignId: redemption.campaignId, key: redemption.id });
    });
    // Give the budget back now; the outbox retries it if the campaign's object cannot be reached.
    await this.flush();
    return { kind: "rolled_back", redemption: rolledBack };
  }

  async patch(ref: VoucherRef, changes: VoucherPatch): Promise<Snapshot | null> {
    const snapshot = await this.ensure(ref);
    if (!snapshot) return null;
    const definition: VoucherDefinition = {
      ...snapshot.definition,
      ...(changes.metadata !== undefined ? { metadata: changes.metadata } : {}),
      ...(changes.expiresAt !== undefined ? { expiresAt: changes.expiresAt } : {}),
      ...(changes.active !== undefined ? { active: changes.active } : {}),
      updatedAt: Date.now(),
    };
    this.ctx.storage.transactionSync(() => {
      this.saveState({ definition, counters: snapshot.counters });
      this.enqueue({ kind: "mirror" });
    });
    await this.armFlush();
    return { definition, counters: snapshot.counters };
  }

  /** Delivers pending events (D1 writes, campaign releases). Never throws: a failure re-arms with backoff. */
  override async alarm(): Promise<void> {
    this.alarmArmed = false;
    await this.flush();
  }

  private async flush(): Promise<void> {
    const rows = this.ctx.storage.sql.exec<{ seq: number; event: string }>(`SELECT seq, event FROM outbox ORDER BY seq LIMIT ${FLUSH_BATCH}`).toArray();
    const snapshot = this.load();
    if (rows.length === 0 || !snapshot) return;
    const events = rows.map((r) => JSON.parse(r.event) as OutboxEvent);
    try {
      for (const e of events) {
        if (e.kind === "release") await this.campaign(e.campaignId).release({ teamId: snapshot.definition.teamId, campaignId: e.campaignId }, e.key);
      }
      const statements = events.flatMap((e) => (e.kind === "redemption" ? redemptionStatements(this.env.DB, snapshot.definition.teamId, e.redemption) : []));
      await this.env.DB.batch([...statements, mirrorStatement(this.env.DB, this.load() ?? snapshot)]);
      this.ctx.storage.sql.exec("DELETE FROM outbox WHERE seq <= ?", rows[rows.length - 1]!.seq);
      this.flushFailures = 0;
      if (this.ctx.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM outbox").one().n > 0) await this.armFlush();
    } catch (err) {
      this.flushFailures += 1;
      const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(this.flushFailures, 9));
      console.error(JSON.stringify({ level: "warn", object: "voucher", code: snapshot.definition.code, outbox: rows.length, retry_in_ms: delay, error: err instanceof Error ? err.message : String(err) }));
      await this.ctx.storage.setAlarm(Date.now() + delay);
      this.alarmArmed = true;
    }
  }

  private enqueue(event: OutboxEvent) {
    this.ctx.storage.sql.exec("INSERT INTO outbox (event) VALUES (?)", JSON.stringify(event));
  }

  private async armFlush() {
    if (this.alarmArmed) return;
    this.alarmArmed = true;
    await this.ctx.storage.setAlarm(Date.now());
  }

  private campaign(campaignId: string) {
    return this.env.CAMPAIGNS.get(this.env.CAMPAIGNS.idFromName(campaignId));
  }

  private campaignRef({ definition }: Snapshot) {
    return { teamId: definition.teamId, campaignId: definition.campaignId! };
  }

  /** Counters as seen by a new request: redemptions waiting on their campaign already hold their place. */
  private withHolds(counters: Counters): Counters {
    let held = 0;
    let amount = 0;
    for (const h of this.holds) {
      held += 1;
      amount += h.amount;
    }
    return {
      redemptionsCount: counters.redemptionsCount + held,
      giftCardBalance: counters.giftCardBalance === null ? null : counters.giftCardBalance - amount,
    };
  }

  private customerCount(customerId: string | undefined): number {
    if (!customerId) return 0;
    const held = [...this.holds].filter((h) => h.customerId === customerId).length;
    return (
      held +
      this.ctx.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM redemptions WHERE customer_id = ? AND status = 'redeemed'", customerId).one().n
    );
  }

  private async customerFacts(def: VoucherDefinition, customerId: string | undefined) {
    return { redemptionsOfVoucher: this.customerCount(customerId), hasEarlierOrders: await this.hasEarlierOrders(def, customerId) };
  }

  /** Only vouchers with first_order_only pay for this D1 read. */
  private async hasEarlierOrders(def: VoucherDefinition, customerId: string | undefined): Promise<boolean> {
    if (!def.rules.first_order_only || !customerId) return false;
    if (this.customerCount(customerId) > 0) return true;
    const row = await this.env.DB.prepare("SELECT 1 FROM redemptions WHERE team_id = ? AND customer_id = ? AND status = 'redeemed' LIMIT 1")
      .bind(def.teamId, customerId)
      .first();
    return row !== null;
  }

  private saveState(snapshot: Snapshot) {
    this.ctx.storage.sql.exec(
      `INSERT INTO state (singleton, definition, redemptions_count, gift_card_balance) VALUES (1, ?, ?, ?)
       ON CONFLICT (singleton) DO UPDATE SET definition = excluded.definition, redemptions_count = excluded.redemptions_count,
       gift_card_balance = excluded.gift_card_balance`,
      JSON.stringify(snapshot.definition),
      snapshot.counters.redemptionsCount,
      snapshot.counters.giftCardBalance,
    );
    this.snapshot = snapshot;
  }

  private load(): Snapshot | null {
    if (this.snapshot) return this.snapshot;
    const row = this.ctx.storage.sql
      .exec<{ definition: string; redemptions_count: number; gift_card_balance: number | null }>("SELECT * FROM state")
      .toArray()[0];
    if (!row) return null;
    this.snapshot = {
      definition: JSON.parse(row.definition) as VoucherDefinition,
      counters: { redemptionsCount: row.redemptions_count, giftCardBalance: row.gift_card_balance },
    };
    return this.snapshot;
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
    this.saveState(snapshot);
    return snapshot;
  }
}
