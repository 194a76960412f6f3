// One Durable Object per campaign. It owns what every voucher of the campaign shares and must see at once:
// the budget ledger, the campaign-wide per-customer counts, the pause switch and the end date. Voucher objects
// ask it on every validate (check) and redeem (reserve, committed atomically here), and give back on rollback
// (release). Reservations are keyed by redemption id, so a repeated reserve or release changes nothing.
// A reservation whose redemption never committed is given back by the reconciliation alarm (see reconcile()).
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import type { Reason } from "../domain/voucher-rules";
import { newEvent } from "../domain/webhook-events";
import { CampaignEvents } from "./campaign-events";
import { CampaignReservations, type Reservation } from "./campaign-reservations";

export type CampaignState = {
  id: string;
  teamId: string;
  paused: boolean;
  startsAt: number | null;
  endsAt: number | null;
  budgetCap: number | null;
  perCustomerLimit: number | null;
  /**
   * Counts the object's changes (pause, end date, budget cap), so D1's copy takes only a newer one: two changes
   * answered in one order may reach D1 in the other. Absent in states saved before it: 0.
   */
  revision?: number;
};

export type CampaignRef = { teamId: string; campaignId: string };
export type CampaignStats = { redemptionsCount: number; discountTotal: number; budgetRemaining: number | null };
export type CampaignDecision = { ok: true } | { ok: false; reason: Reason };
export type CampaignAsk = { customerId: string | null; amount: number };

/**
 * How long a reservation's redemption has to commit before the campaign checks on it: a commit follows its reserve
 * within milliseconds and reaches D1 through the ledger stream within a few seconds, so only a lost one is still
 * unknown by then.
 */
export const RESERVATION_SETTLE_MS = 30_000;
/** At most this many reservations per look at D1 (its bound-parameter limit is 100). */
const RECONCILE_BATCH = 100;
/** When a voucher could not answer, or its redemption is still waiting on this campaign. */
const RECONCILE_RETRY_MS = 10_000;

export class CampaignObject extends DurableObject<Env> {
  private state: CampaignState | undefined;
  private ledger = { spent: 0, redemptions: 0 };
  private readonly events: CampaignEvents;
  private readonly reservations: CampaignReservations;
  /** When the reconciliation alarm is known to be set, so a reserve does not ask storage every time. */
  private reconcileAt: number | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    sql.exec(`CREATE TABLE IF NOT EXISTS campaign (
      singleton INTEGER PRIMARY KEY CHECK (singleton = 1), state TEXT NOT NULL, spent INTEGER NOT NULL, redemptions INTEGER NOT NULL)`);
    sql.exec("CREATE TABLE IF NOT EXISTS customers (customer_id TEXT PRIMARY KEY, redemptions INTEGER NOT NULL)");
    this.reservations = new CampaignReservations(sql);
    this.events = new CampaignEvents(sql);
  }

  /**
   * Erasure (API.md §7): the customer's campaign-wide count and reservations move to the pseudonym, so the limit
   * keeps counting the past redemptions under it while the id itself, registered again, starts afresh.
   */
  async eraseCustomer(customerId: string, pseudonym: string): Promise<void> {
    this.ctx.storage.transactionSync(() => {
      const sql = this.ctx.storage.sql;
      const row = sql.exec<{ redemptions: number }>("SELECT redemptions FROM customers WHERE customer_id = ?", customerId).toArray()[0];
      if (row) {
        sql.exec(
          "INSERT INTO customers (customer_id, redemptions) VALUES (?, ?) ON CONFLICT (customer_id) DO UPDATE SET redemptions = redemptions + excluded.redemptions",
          pseudonym,
          row.redemptions,
        );
        sql.exec("DELETE FROM customers WHERE customer_id = ?", customerId);
      }
      this.reservations.renameCustomer(customerId, pseudonym);
    });
  }

  async install(state: CampaignState): Promise<void> {
    if (!this.load()) this.save(state);
  }

  async check(ref: CampaignRef, ask: CampaignAsk): Promise<CampaignDecision | null> {
    const state = await this.ensure(ref);
    if (!state) return null;
    return this.decide(state, ask);
  }

  /** check for a voucher's preview (VoucherObject.preview): the same decision, but never loads, so never writes. */
  async preview(ask: CampaignAsk): Promise<CampaignDecision | "cold"> {
    const state = this.load();
    return state ? this.decide(state, ask) : "cold";
  }

  /**
   * Checks and, when allowed, commits the budget and the customer's count in one step. The reservation stays
   * unconfirmed until reconcile() has seen redemption `key` committed on voucher `voucherCode`. A voucher
   * reservation (API.md §10) passes `settleAt`, its expiry: its redemption cannot be expected before then.
   */
  async reserve(ref: CampaignRef, key: string, ask: CampaignAsk, voucherCode: string, settleAt?: number): Promise<CampaignDecision | null> {
    const state = await this.ensure(ref);
    if (!state) return null;
    if (this.reservations.find(key)?.held) return { ok: true };
    const decision = this.decide(state, ask);
    if (!decision.ok) {
      if (decision.reason === "budget_exhausted") {
        this.ctx.storage.transactionSync(() => this.events.budgetReached(state.teamId, this.budgetData(state)));
        await this.flushEventsSoon();
      }
      return decision;
    }
    const now = Date.now();
    this.ctx.storage.transactionSync(() => {
      this.reservations.hold(key, ask, voucherCode, settleAt ?? now);
      if (ask.customerId) {
        this.ctx.storage.sql.exec(
          "INSERT INTO customers (customer_id, redemptions) VALUES (?, 1) ON CONFLICT (customer_id) DO UPDATE SET redemptions = redemptions + 1",
          ask.customerId,
        );
      }
      this.ledger = { spent: this.ledger.spent + ask.amount, redemptions: this.ledger.redemptions + 1 };
      this.save(state);
      if (state.budgetCap !== null && this.ledger.spent >= state.budgetCap) this.events.budgetReached(state.teamId, this.budgetData(state));
    });
    if (this.events.waiting) await this.flushEventsSoon();
    if (this.reconcileAt === null) await this.armReconcile((settleAt ?? now) + RESERVATION_SETTLE_MS);
    return { ok: true };
  }

  /** Gives back what a reservation took (a rollback). Releasing twice, or an unknown key, changes nothing. */
  async release(ref: CampaignRef, key: string): Promise<void> {
    if (!(await this.ensure(ref))) return;
    this.giveBack(key);
  }

  private budgetData(state: CampaignState) {
    return { campaign_id: state.id, budget_cap: state.budgetCap ?? 0, spent: this.ledger.spent };
  }

  /** Writes the event now, off the answer; the alarm writes it later if D1 does not take it. */
  private async flushEventsSoon() {
    this.ctx.waitUntil(this.events.flush(this.env).catch(() => this.armReconcile(Date.now() + RECONCILE_RETRY_MS)));
  }

  override async alarm(): Promise<void> {
    this.reconcileAt = null;
    if (this.events.waiting) await this.events.flush(this.env).catch(() => undefined);
    let next: number | null;
    try {
      next = await this.reconcile();
    } catch (err) {
      console.error(JSON.stringify({ level: "warn", object: "campaign", error: err instanceof Error ? err.message : String(err) }));
      next = Date.now() + RECONCILE_RETRY_MS;
    }
    if (next !== null) await this.armReconcile(next);
  }

  /**
   * Confirms or gives back the reservations old enough to have committed. Most are confirmed by their row in D1's
   * history (one query for many); the rest are asked of their voucher's object, which alone can say a redemption
   * never committed. Returns when to look again, or null when nothing is left unconfirmed.
   */
  private async reconcile(): Promise<number | null> {
    const state = this.load();
    if (!state) return null;
    const due = this.reservations.unconfirmed(Date.now() - RESERVATION_SETTLE_MS, RECONCILE_BATCH);
    if (due.length === 0) return this.nextReconcile(false);
    const found = await this.env.DB.prepare(`SELECT id FROM redemptions WHERE id IN (${due.map(() => "?").join(", ")})`)
      .bind(...due.map((r) => r.key))
      .all<{ id: string }>();
    const inHistory = new Set(found.results.map((r) => r.id));
    const byVoucher = new Map<string, Reservation[]>();
    for (const r of due) {
      if (inHistory.has(r.key) || r.voucherCode === null) this.reservations.confirm(r.key);
      else byVoucher.set(r.voucherCode, [...(byVoucher.get(r.voucherCode) ?? []), r]);
    }
    let unsettled = false;
    for (const [code, reservations] of byVoucher) {
      const voucher = this.env.VOUCHERS.get(this.env.VOUCHERS.idFromName(`${state.teamId}:${code}`));
      let fates;
      try {
        fates = await voucher.redemptionStates(reservations.map((r) => r.key));
      } catch (err) {
        console.error(JSON.stringify({ level: "warn", object: "campaign", voucher: code, error: err instanceof Error ? err.message : String(err) }));
        unsettled = true;
        continue;
      }
      reservations.forEach((r, i) => {
        if (fates[i] === "committed") this.reservations.confirm(r.key);
        else if (fates[i] === "absent") this.giveBack(r.key);
        else unsettled = true;
      });
    }
    if (due.length === RECONCILE_BATCH && !unsettled) return Date.now();
    return this.nextReconcile(unsettled);
  }

  private nextReconcile(retrySoon: boolean): number | null {
    const oldest = this.reservations.oldestUnconfirmed();
    if (oldest === null) return null;
    const due = oldest + RESERVATION_SETTLE_MS;
    return retrySoon ? Math.max(due, Date.now() + RECONCILE_RETRY_MS) : due;
  }

  /** Sets the alarm to `at` unless it already fires sooner (one alarm per object serves every reservation). */
  private async armReconcile(at: number) {
    const current = await this.ctx.storage.getAlarm();
    if (current !== null && current <= at) {
      this.reconcileAt = current;
      return;
    }
    await this.ctx.storage.setAlarm(at);
    this.reconcileAt = at;
  }

  /** Undoes a held reservation's budget and customer count, reading the state now (callers may have awaited). */
  private giveBack(key: string) {
    const state = this.load();
    const reservation = this.reservations.find(key);
    if (!state || !reservation?.held) return;
    this.ctx.storage.transactionSync(() => {
      this.reservations.markReleased(key);
      if (reservation.customerId) {
        this.ctx.storage.sql.exec("UPDATE customers SET redemptions = redemptions - 1 WHERE customer_id = ?", reservation.customerId);
      }
      this.ledger = { spent: this.ledger.spent - reservation.amount, redemptions: this.ledger.redemptions - 1 };
      this.save(state);
      this.events.reopen();
    });
  }

  /**
   * Changes the campaign (the next revision). `shown` is the campaign as the API shows it after the change: when
   * the change pauses or resumes it, campaign.paused or campaign.resumed is recorded with it, in the same storage
   * transaction, so the event is never lost and is sent once for each change that happened.
   */
  async update(
    ref: CampaignRef,
    changes: Partial<Pick<CampaignState, "paused" | "endsAt" | "budgetCap">>,
    shown?: Record<string, unknown>,
  ): Promise<CampaignState | null> {
    const state = await this.ensure(ref);
    if (!state) return null;
    const next = { ...state, ...changes, revision: (state.revision ?? 0) + 1 };
    this.ctx.storage.transactionSync(() => {
      this.save(next);
      if (changes.budgetCap !== undefined && changes.budgetCap !== state.budgetCap) this.events.reopen();
      if (shown && next.paused !== state.paused) {
        this.events.record(newEvent(state.teamId, next.paused ? "campaign.paused" : "campaign.resumed", shown));
      }
    });
    // Written before the answer, as the change's own D1 write would be; the alarm writes it if D1 does not take it.
    if (this.events.waiting) await this.events.flush(this.env).catch(() => this.armReconcile(Date.now() + RECONCILE_RETRY_MS));
    return next;
  }

  async stats(ref: CampaignRef): Promise<CampaignStats | null> {
    const state = await this.ensure(ref);
    if (!state) return null;
    return {
      redemptionsCount: this.ledger.redemptions,
      discountTotal: this.ledger.spent,
      budgetRemaining: state.budgetCap === null ? null : Math.max(0, state.budgetCap - this.ledger.spent),
    };
  }

  private decide(state: CampaignState, ask: CampaignAsk): CampaignDecision {
    const now = Date.now();
    if (state.endsAt !== null && now >= state.endsAt) return { ok: false, reason: "campaign_ended" };
    if (state.paused) return { ok: false, reason: "campaign_paused" };
    if (state.startsAt !== null && now < state.startsAt) return { ok: false, reason: "not_started" };
    if (state.perCustomerLimit !== null) {
      if (!ask.customerId) return { ok: false, reason: "customer_required" };
      const used = this.ctx.storage.sql
        .exec<{ redemptions: number }>("SELECT redemptions FROM customers WHERE customer_id = ?", ask.customerId)
        .toArray()[0]?.redemptions ?? 0;
      if (used >= state.perCustomerLimit) return { ok: false, reason: "customer_limit_reached" };
    }
    if (state.budgetCap !== null && this.ledger.spent + ask.amount > state.budgetCap) return { ok: false, reason: "budget_exhausted" };
    return { ok: true };
  }

  private save(state: CampaignState) {
    this.ctx.storage.sql.exec(
      `INSERT INTO campaign (singleton, state, spent, redemptions) VALUES (1, ?, ?, ?)
       ON CONFLICT (singleton) DO UPDATE SET state = excluded.state, spent = excluded.spent, redemptions = excluded.redemptions`,
      JSON.stringify(state),
      this.ledger.spent,
      this.ledger.redemptions,
    );
    this.state = state;
  }

  private load(): CampaignState | null {
    if (this.state) return this.state;
    const row = this.ctx.storage.sql.exec<{ state: string; spent: number; redemptions: number }>("SELECT * FROM campaign").toArray()[0];
    if (!row) return null;
    this.state = JSON.parse(row.state) as CampaignState;
    this.ledger = { spent: row.spent, redemptions: row.redemptions };
    return this.state;
  }

  /** From memory, then storage, then (first use only, e.g. if install was lost) D1. */
  private async ensure(ref: CampaignRef): Promise<CampaignState | null> {
    const local = this.load();
    if (local) return local;
    const row = await this.env.DB.prepare(
      "SELECT id, team_id, paused, starts_at, ends_at, budget_cap, per_customer_limit, object_revision FROM campaigns WHERE id = ? AND team_id = ?",
    )
      .bind(ref.campaignId, ref.teamId)
      .first<Record<string, number | string | null>>();
    if (this.load()) return this.state!;
    if (!row) return null;
    const state: CampaignState = {
      id: String(row.id),
      teamId: String(row.team_id),
      paused: Boolean(row.paused),
      startsAt: row.starts_at === null ? null : Number(row.starts_at),
      endsAt: row.ends_at === null ? null : Number(row.ends_at),
      budgetCap: row.budget_cap === null ? null : Number(row.budget_cap),
      perCustomerLimit: row.per_customer_limit === null ? null : Number(row.per_customer_limit),
      revision: Number(row.object_revision ?? 0),
    };
    // Lost install: start the ledger from the redemptions D1 already holds rather than from zero.
    const spent = await this.env.DB.prepare(
      "SELECT coalesce(sum(discount_amount), 0) AS spent, count(*) AS n FROM redemptions WHERE team_id = ? AND campaign_id = ? AND status = 'redeemed'",
    )
      .bind(ref.teamId, ref.campaignId)
      .first<{ spent: number; n: number }>();
    if (this.load()) return this.state!;
    this.ledger = { spent: spent?.spent ?? 0, redemptions: spent?.n ?? 0 };
    this.save(state);
    return state;
  }
}
