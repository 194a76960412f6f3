// DELETE /v1/customers/{id} (API.md §7, GDPR erasure): the profile and metadata are deleted; the customer's
// redemptions stay for accounting under a random pseudonym, everywhere the id was held — D1's history, approvals,
// webhook events, the audit log's paths, and the voucher and campaign objects' own storage — so limits keep
// counting the pseudonym's past redemptions. Afterwards the id is unknown (404) and can be registered again as a
// new customer. The objects are found by the customer's redemptions and reservations in D1 (customer_reservations);
// redemptions and reservations made before the erasure that reach D1 later are caught on arrival (customer_erasures,
// src/queues/ledger-erasures.ts), and the objects that hold them are told then.
import type { Env, ServiceContext } from "../env";
import { ApiError } from "../errors";
import { randomBase62, sha256Hex } from "../lib/crypto";
import { requireScope, requireTeam } from "./access";

/** What an erased customer's redemptions carry instead of the id: random, so nothing links it back. */
export const PSEUDONYM_PREFIX = "erased_";
const newPseudonym = () => `${PSEUDONYM_PREFIX}${randomBase62(24)}`;

/** The key an erasure is found by: the id itself is not kept. */
export const erasureSubject = (teamId: string, customerId: string) => sha256Hex(`${teamId}\n${customerId}`);

/**
 * The D1 side of an erasure: every row made before `erasedAt` that names the id names the pseudonym instead, the
 * profile (and a registration made from a redemption before the erasure) is deleted, and the reservation reports
 * are dropped. Bounded by `erasedAt` so that, run again late (src/queues/ledger-erasures.ts: a redemption written
 * while the erasure ran), it never touches what the id, registered again, did afterwards.
 */
export function erasureStatements(db: D1Database, teamId: string, id: string, pseudonym: string, erasedAt: number): D1PreparedStatement[] {
  const quoted = JSON.stringify(id);
  const replacement = JSON.stringify(pseudonym);
  // JSON text columns that may quote the id (bodies, events): the quoted string is replaced wherever it stands.
  const rewrite = (table: string, column: string, time: string) =>
    db
      .prepare(`UPDATE ${table} SET ${column} = replace(${column}, ?1, ?2) WHERE team_id = ?3 AND instr(${column}, ?1) > 0 AND ${time} <= ?4`)
      .bind(quoted, replacement, teamId, erasedAt);
  const encodedPath = `/v1/customers/${encodeURIComponent(id)}`;
  return [
    db.prepare("DELETE FROM customers WHERE team_id = ? AND id = ? AND created_at <= ?").bind(teamId, id, erasedAt),
    db.prepare("UPDATE redemptions SET customer_id = ? WHERE team_id = ? AND customer_id = ? AND created_at < ?").bind(pseudonym, teamId, id, erasedAt),
    // A velocity alert names the customer it counted; the other detectors name credentials.
    db
      .prepare("UPDATE fraud_alerts SET subject = ? WHERE team_id = ? AND type = 'customer_velocity' AND subject = ? AND first_seen <= ?")
      .bind(pseudonym, teamId, id, erasedAt),
    // Reservations made since the erasure began stay the id's own (their objects kept them under it).
    db.prepare("DELETE FROM customer_reservations WHERE team_id = ? AND customer_id = ? AND reserved_at < ?").bind(teamId, id, erasedAt),
    // The audit log keeps the request, not whom it named. Compared as text, not with LIKE: `_` and `%` may be in an id.
    db
      .prepare("UPDATE audit_log SET path = ?1 || substr(path, length(?2) + 1) WHERE team_id = ?3 AND (path = ?2 OR substr(path, 1, length(?2) + 1) = ?2 || '/') AND at <= ?4")
      .bind(`/v1/customers/${pseudonym}`, encodedPath, teamId, erasedAt),
    rewrite("agent_approvals", "body", "created_at"),
    rewrite("agent_approvals", "input", "created_at"),
    rewrite("agent_approvals", "execution_result", "created_at"),
    rewrite("webhook_events", "data", "created_at"),
  ];
}

export async function eraseCustomer(ctx: ServiceContext, id: string): Promise<void> {
  requireScope(ctx.actor, "write:customers");
  const teamId = requireTeam(ctx.actor);
  const { env } = ctx;
  // Known by its profile or, never registered (a reservation registers no one, §7), by a reservation it made:
  // that id is personal data held in the vouchers' objects all the same, so it can be erased too. Looked up
  // before an agent's call is held, so no approval is ever made for a customer that is not there.
  const known = await env.DB.prepare(
    `SELECT 1 FROM customers WHERE team_id = ?1 AND id = ?2
     UNION ALL SELECT 1 FROM customer_reservations WHERE team_id = ?1 AND customer_id = ?2 LIMIT 1`,
  )
    .bind(teamId, id)
    .first();
  if (!known) throw new ApiError("not_found", "No customer with this id.");
  await ctx.authorize(teamId, { operation: "delete_customer", params: { id } });
  const pseudonym = newPseudonym();
  const erasedAt = Date.now();
  const subject = await erasureSubject(teamId, id);

  // The erasure is recorded before its holders are read: a reservation report written to D1 after this insert
  // sees it and is handled on arrival (its objects told), one written before it is among the holders read below.
  // One erasure per registration: recorded only if none was since the id was last registered or reserved, so of
  // concurrent erasures one runs (one pseudonym) and the others find the customer gone, as they would after it.
  const recorded = await env.DB.prepare(
    `INSERT INTO customer_erasures (subject_hash, team_id, pseudonym, erased_at)
     SELECT ?1, ?2, ?3, ?4 WHERE NOT EXISTS (
       SELECT 1 FROM customer_erasures WHERE subject_hash = ?1 AND erased_at >= coalesce((
         SELECT max(t) FROM (SELECT created_at AS t FROM customers WHERE team_id = ?2 AND id = ?5
                             UNION ALL SELECT reserved_at FROM customer_reservations WHERE team_id = ?2 AND customer_id = ?5)), 0))
     ON CONFLICT DO NOTHING`,
  )
    .bind(subject, teamId, pseudonym, erasedAt, id)
    .run();
  if (recorded.meta.changes !== 1) throw new ApiError("not_found", "No customer with this id.");
  try {
    // Objects first: once they answer, their own storage (and what they have yet to ship) names the pseudonym.
    const { results: holders } = await env.DB.prepare(
      `SELECT code, campaign_id FROM redemptions WHERE team_id = ?1 AND customer_id = ?2
       UNION SELECT code, campaign_id FROM customer_reservations WHERE team_id = ?1 AND customer_id = ?2`,
    )
      .bind(teamId, id)
      .all<{ code: string; campaign_id: string | null }>();
    await eraseInObjects(env, teamId, id, pseudonym, erasedAt, holders);

    await env.DB.batch(erasureStatements(env.DB, teamId, id, pseudonym, erasedAt));
  } catch (err) {
    // The customer is still there: an erasure asked again starts over with a pseudonym of its own.
    await env.DB.prepare("DELETE FROM customer_erasures WHERE subject_hash = ? AND erased_at = ?").bind(subject, erasedAt).run().catch(() => undefined);
    throw err;
  }
}

/** The voucher and campaign objects that hold the customer's redemptions, counts and reservations. */
async function eraseInObjects(
  env: Env,
  teamId: string,
  id: string,
  pseudonym: string,
  erasedAt: number,
  holders: { code: string; campaign_id: string | null }[],
) {
  const codes = [...new Set(holders.map((h) => h.code))];
  const campaigns = [...new Set(holders.map((h) => h.campaign_id).filter((c): c is string => c !== null))];
  await Promise.all([
    ...codes.map((code) => env.VOUCHERS.get(env.VOUCHERS.idFromName(`${teamId}:${code}`)).eraseCustomer(id, pseudonym, erasedAt)),
    ...campaigns.map((campaignId) => env.CAMPAIGNS.get(env.CAMPAIGNS.idFromName(campaignId)).eraseCustomer(id, pseudonym)),
  ]);
}
