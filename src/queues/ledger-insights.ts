// What the ledger consumer writes beside each chunk of redemption rows, in the same transaction, so it follows
// exactly what the chunk changed and a redelivery changes nothing more:
//   before the rows go in   rollups (redemption_rollups) and the checkout webhook events (voucher.redeemed,
//                           redemption.rolled_back), from comparing each row with what D1 holds for its id
//   after they are in       customer_velocity sightings: each customer's fullest window the chunk's rows fall in
// Extra row cells (after the 14 columns of the redemptions table): the two event ids and the event's data.
import { DEFAULT_FRAUD_SETTINGS } from "../domain/fraud";
import type { LedgerEntry } from "../domain/ledger";
import { newId } from "../lib/ids";
import { PSEUDONYM_PREFIX } from "../services/customer-erasure";
import { renderRedemption } from "../services/redemptions";
import type { PlanHooks } from "./ledger-writes";

const col = (i: number) => `json_extract(value, '$[${i}]')`;
export const EVENT_IDS = 14;

/** Each chunk row against the row D1 holds: new? newly rolled back? */
const COMPARED = `SELECT value, ${col(1)} AS team, coalesce(${col(4)}, '') AS campaign, ${col(11)} AS created_at, ${col(10)} AS status,
       ${col(8)} AS discount, r.id IS NULL AS is_new, (r.id IS NOT NULL AND r.status = 'redeemed') AS was_redeemed
  FROM json_each(?1) LEFT JOIN redemptions r ON r.id = ${col(0)}`;

export const ROLLUPS_SQL = `INSERT INTO redemption_rollups (team_id, campaign_id, hour, redemptions, rolled_back, discount_total)
  SELECT team, campaign, hour, sum(made), sum(undone), sum(delta) FROM (
    SELECT team, campaign, (created_at / 3600000) * 3600000 AS hour,
           is_new AS made,
           (status = 'rolled_back' AND (is_new OR was_redeemed)) AS undone,
           CASE WHEN is_new AND status = 'redeemed' THEN discount WHEN status = 'rolled_back' AND was_redeemed THEN -discount ELSE 0 END AS delta
      FROM (${COMPARED})
  ) WHERE made OR undone GROUP BY team, campaign, hour HAVING true
  ON CONFLICT (team_id, campaign_id, hour) DO UPDATE SET redemptions = redemptions + excluded.redemptions,
    rolled_back = rolled_back + excluded.rolled_back, discount_total = discount_total + excluded.discount_total`;

/** Events only for teams with an enabled endpoint: other teams' checkouts leave no outbox rows behind. */
export const CHECKOUT_EVENTS_SQL = `INSERT OR IGNORE INTO webhook_events (id, team_id, type, data, endpoint_id, created_at)
  SELECT json_extract(value, '$[${EVENT_IDS}]'), team, 'voucher.redeemed', json_extract(value, '$[${EVENT_IDS + 2}]'), NULL, created_at
    FROM (${COMPARED}) WHERE is_new AND EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.team_id = team AND e.status = 'enabled')
  UNION ALL
  SELECT json_extract(value, '$[${EVENT_IDS + 1}]'), team, 'redemption.rolled_back', json_extract(value, '$[${EVENT_IDS + 2}]'), NULL, coalesce(${col(12)}, created_at)
    FROM (${COMPARED}) WHERE status = 'rolled_back' AND (is_new OR was_redeemed)
      AND EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.team_id = team AND e.status = 'enabled')`;

const V = DEFAULT_FRAUD_SETTINGS.customer_velocity;
/**
 * One row per (team, customer) of a chunk ([team, customer, earliest, latest, alert id, event id]): the busiest
 * window the chunk's redemptions fall in. Redemptions land in no fixed order, so a window that ends at a later
 * redemption already written may be the one a late arrival completes: every window ending at one of the
 * customer's redemptions from the chunk's earliest to its latest plus a window is counted, and the fullest kept
 * (the latest of equals), with `at` its end.
 */
const VELOCITY = `SELECT team, customer, at, alert_id, event_id, win, threshold, n FROM (
    SELECT e.*, row_number() OVER (PARTITION BY team, customer ORDER BY n DESC, at DESC) AS k FROM (
      SELECT t.*, r.created_at AS at, (SELECT count(*) FROM redemptions r2 WHERE r2.team_id = t.team AND r2.customer_id = t.customer
                                          AND r2.created_at > r.created_at - t.win * 1000 AND r2.created_at <= r.created_at) AS n
        FROM (SELECT ${col(0)} AS team, ${col(1)} AS customer, ${col(2)} AS earliest, ${col(3)} AS latest, ${col(4)} AS alert_id, ${col(5)} AS event_id,
                     coalesce((SELECT json_extract(settings, '$.customer_velocity.window_seconds') FROM fraud_settings WHERE team_id = ${col(0)}), ${V.window_seconds}) AS win,
                     coalesce((SELECT json_extract(settings, '$.customer_velocity.count') FROM fraud_settings WHERE team_id = ${col(0)}), ${V.count}) AS threshold
                FROM json_each(?1)) AS t
        JOIN redemptions r ON r.team_id = t.team AND r.customer_id = t.customer AND r.created_at >= t.earliest AND r.created_at < t.latest + t.win * 1000
    ) AS e
  ) WHERE k = 1`;
const SEVERITY = "CASE WHEN n >= threshold * 4 THEN 'high' WHEN n >= threshold * 2 THEN 'medium' ELSE 'low' END";
const WINDOW_START = "(at / (win * 1000)) * win * 1000";

export const VELOCITY_EVENT_SQL = `INSERT OR IGNORE INTO webhook_events (id, team_id, type, data, endpoint_id, created_at)
  SELECT event_id, team, 'fraud.alert', json_object('id', alert_id, 'type', 'customer_velocity', 'severity', ${SEVERITY}, 'subject', customer,
         'count', n, 'window_seconds', win, 'first_seen', strftime('%Y-%m-%dT%H:%M:%SZ', at / 1000, 'unixepoch')), NULL, at
    FROM (${VELOCITY}) WHERE n >= threshold
     AND NOT EXISTS (SELECT 1 FROM fraud_alerts a WHERE a.team_id = team AND a.type = 'customer_velocity' AND a.subject = customer AND a.window_start = ${WINDOW_START})`;

export const VELOCITY_ALERT_SQL = `INSERT INTO fraud_alerts (id, team_id, type, severity, subject, window_start, window_seconds, count, first_seen, last_seen)
  SELECT alert_id, team, 'customer_velocity', ${SEVERITY}, customer, ${WINDOW_START}, win, n, at, at FROM (${VELOCITY}) WHERE n >= threshold
  ON CONFLICT (team_id, type, subject, window_start) DO UPDATE SET
    severity = CASE WHEN excluded.count > count THEN excluded.severity ELSE severity END,
    count = max(count, excluded.count), last_seen = max(last_seen, excluded.last_seen)`;

type Cell = string | number | null;

/** The customers of a chunk of redemption rows, one per (team, customer) with its earliest and latest redemption, for customer_velocity. */
function velocityRows(json: string): string | null {
  const spans = new Map<string, Cell[]>();
  for (const row of JSON.parse(json) as Cell[][]) {
    const [, team, , , , customer, , , , , , createdAt] = row;
    if (typeof customer !== "string") continue;
    const key = `${team}\u0000${customer}`;
    const at = Number(createdAt);
    const held = spans.get(key);
    if (!held) spans.set(key, [team!, customer, at, at, newId("frd"), newId("evt")]);
    else {
      held[2] = Math.min(Number(held[2]), at);
      held[3] = Math.max(Number(held[3]), at);
    }
  }
  return spans.size > 0 ? JSON.stringify([...spans.values()]) : null;
}

type Redemption = Extract<LedgerEntry, { kind: "redemption" }>["redemption"];

/** The consumer's hooks: event ids and data on each row (minted here, written only for what a chunk changes). */
export const insightHooks = (db: D1Database): PlanHooks<D1PreparedStatement> => ({
  redemptionCells: (r: Redemption) => [newId("evt"), newId("evt"), JSON.stringify(renderRedemption(r))],
  registers: (customerId) => !customerId.startsWith(PSEUDONYM_PREFIX),
  aroundRedemptions: (json) => {
    const customers = velocityRows(json);
    return {
      before: [db.prepare(ROLLUPS_SQL).bind(json), db.prepare(CHECKOUT_EVENTS_SQL).bind(json)],
      after: customers ? [db.prepare(VELOCITY_EVENT_SQL).bind(customers), db.prepare(VELOCITY_ALERT_SQL).bind(customers)] : [],
    };
  },
});
