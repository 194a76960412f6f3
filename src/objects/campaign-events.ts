// The campaign object's own event outbox: campaign.budget_reached (API.md §9) is decided here, in the same
// storage transaction as the reservation that fills the budget or the first refusal for it, as campaign.paused
// and campaign.resumed are with the change that pauses or resumes the campaign, and written to D1's
// webhook outbox afterwards (at once, and by the object's alarm until D1 took it): never lost, never sent twice.
// The budget counts as reached again only after a release or a new cap reopens it.
import { newEvent, type WebhookEvent } from "../domain/webhook-events";
import type { Env } from "../env";
import { eventStatements } from "../db/webhook-events";
import { dispatchSafely } from "../queues/webhook-dispatch";

export class CampaignEvents {
  constructor(private readonly sql: SqlStorage) {
    sql.exec("CREATE TABLE IF NOT EXISTS event_outbox (id TEXT PRIMARY KEY, event TEXT NOT NULL)");
    sql.exec("CREATE TABLE IF NOT EXISTS budget_flag (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), reached INTEGER NOT NULL)");
  }

  private get reached(): boolean {
    return (this.sql.exec<{ reached: number }>("SELECT reached FROM budget_flag").toArray()[0]?.reached ?? 0) === 1;
  }

  /** Records budget_reached once until reopened. Call inside the storage transaction of the change that reached it. */
  budgetReached(teamId: string, data: { campaign_id: string; budget_cap: number; spent: number }) {
    if (this.reached) return;
    this.sql.exec("INSERT INTO budget_flag (singleton, reached) VALUES (1, 1) ON CONFLICT (singleton) DO UPDATE SET reached = 1");
    this.record(newEvent(teamId, "campaign.budget_reached", data));
  }

  /** Keeps an event to be written to D1. Call inside the storage transaction of the change it reports. */
  record(event: WebhookEvent) {
    this.sql.exec("INSERT INTO event_outbox (id, event) VALUES (?, ?)", event.id, JSON.stringify(event));
  }

  /** A release or a new cap reopens the budget: reaching it again is a new event. */
  reopen() {
    this.sql.exec("UPDATE budget_flag SET reached = 0");
  }

  get waiting(): boolean {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM event_outbox").one().n > 0;
  }

  /** Writes waiting events to D1's outbox (INSERT OR IGNORE by id), then forgets them and starts their delivery. */
  async flush(env: Env): Promise<void> {
    const events = this.sql.exec<{ event: string }>("SELECT event FROM event_outbox").toArray().map((r) => JSON.parse(r.event) as WebhookEvent);
    if (events.length === 0) return;
    await env.DB.batch(eventStatements(env.DB, events));
    for (const e of events) this.sql.exec("DELETE FROM event_outbox WHERE id = ?", e.id);
    await dispatchSafely(env, events.map((e) => e.id));
  }
}
