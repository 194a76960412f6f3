// One Durable Object per campaign. It owns what every voucher of the campaign shares and must see at once:
// the budget ledger, the campaign-wide per-customer counts, the pause switch and the end date. Voucher objects
// ask it on every validate (check) and redeem (reserve, committed atomically here), and give back on rollback
// (release). Reservations are keyed by redemption id, so a repeated reserve or release changes nothing.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import type { Reason } from "../services/voucher-rules";

export type CampaignState = {
  id: string;
  teamId: string;
  paused: boolean;
  startsAt: number | null;
  endsAt: number | null;
  budgetCap: number | null;
  perCustomerLimit: number | null;
};

export type CampaignRef = { teamId: string; campaignId: string };
export type CampaignStats = { redemptionsCount: number; discountTotal: number; budgetRemaining: number | null };
export type CampaignDecision = { ok: true } | { ok: false; reason: Reason };
export type CampaignAsk = { customerId: string | null; amount: number };

export class CampaignObject extends DurableObject<Env> {
  private state: CampaignState | undefined;
  private ledger = { spent: 0, redemptions: 0 };

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const sql = ctx.storage.sql;
    sql.exec(`CREATE TABLE IF NOT EXISTS campaign (
      singleton INTEGER PRIMARY KEY CHECK (singleton = 1), state TEXT NOT NULL, spent INTEGER NOT NULL, redemptions INTEGER NOT NULL)`);
    sql.exec("CREATE TABLE IF NOT EXISTS customers (customer_id TEXT PRIMARY KEY, redemptions INTEGER NOT NULL)");
    sql.exec(`CREATE TABLE IF NOT EXISTS reservations (
      key TEXT PRIMARY KEY, customer_id TEXT, amount INTEGER NOT NULL, held INTEGER NOT NULL, at INTEGER NOT NULL)`);
  }

  async install(state: CampaignState): Promise<void> {
    if (!this.load()) this.save(state);
  }

  async check(ref: CampaignRef, ask: CampaignAsk): Promise<CampaignDecision | null> {
    const state = await this.ensure(ref);
    if (!state) return null;
    return this.decide(state, ask);
  }

  /** Checks and, when allowed, commits the budget and the customer's count in one step. */
  async reserve(ref: CampaignRef, key: string, ask: CampaignAsk): Promise<CampaignDecision | null> {
    const state = await this.ensure(ref);
    if (!state) return null;
    const existing = this.ctx.storage.sql.exec<{ held: number }>("SELECT held FROM reservations WHERE key = ?", key).toArray()[0];
    if (existing?.held === 1) return { ok: true };
    const decision = this.decide(state, ask);
    if (!decision.ok) return decision;
    this.ctx.storage.transactionSync(() => {
      const sql = this.ctx.storage.sql;
      sql.exec(
        "INSERT INTO reservations (key, customer_id, amount, held, at) VALUES (?, ?, ?, 1, ?) ON CONFLICT (key) DO UPDATE SET held = 1",
        key,
        ask.customerId,
        ask.amount,
        Date.now(),
      );
      if (ask.customerId) {
        sql.exec(
          "INSERT INTO customers (customer_id, redemptions) VALUES (?, 1) ON CONFLICT (customer_id) DO UPDATE SET redemptions = redemptions + 1",
          ask.customerId,
        );
      }
      this.ledger = { spent: this.ledger.spent + ask.amount, redemptions: this.ledger.redemptions + 1 };
      this.save(state);
    });
    return { ok: true };
  }

  /** Gives back what a reservation took (a rollback). Releasing twice, or an unknown key, changes nothing. */
  async release(ref: CampaignRef, key: string): Promise<void> {
    const state = await this.ensure(ref);
    if (!state) return;
    const row = this.ctx.storage.sql
      .exec<{ customer_id: string | null; amount: number; held: number }>("SELECT customer_id, amount, held FROM reservations WHERE key = ?", key)
      .toArray()[0];
    if (!row || row.held !== 1) return;
    this.ctx.storage.transactionSync(() => {
      const sql = this.ctx.storage.sql;
      sql.exec("UPDATE reservations SET held = 0 WHERE key = ?", key);
      if (row.customer_id) sql.exec("UPDATE customers SET redemptions = redemptions - 1 WHERE customer_id = ?", row.customer_id);
      this.ledger = { spent: this.ledger.spent - row.amount, redemptions: this.ledger.redemptions - 1 };
      this.save(state);
    });
  }

  async update(ref: CampaignRef, changes: Partial<Pick<CampaignState, "paused" | "endsAt" | "budgetCap">>): Promise<CampaignState | null> {
    const state = await this.ensure(ref);
    if (!state) return null;
    const next = { ...state, ...changes };
    this.save(next);
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
      "SELECT id, team_id, paused, starts_at, ends_at, budget_cap, per_customer_limit FROM campaigns WHERE id = ? AND team_id = ?",
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
