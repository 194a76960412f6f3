// Erasure meets the ledger stream: a redemption made before its customer was erased can reach D1 after the
// erasure (the stream trails the checkout by seconds). Such entries are renamed to the pseudonym before they are
// written — their customer is then never registered again — and the voucher and campaign objects that still hold
// the id are told (API.md §7: afterwards the id appears nowhere).
import type { LedgerMessage } from "../domain/ledger";
import type { Env } from "../env";
import { erasureSubject } from "../services/customer-erasure";

type Erasure = { pseudonym: string; erasedAt: number };
export type LateErasure = { teamId: string; code: string; campaignId: string | null; customerId: string; pseudonym: string; erasedAt: number };

const PARAMS_PER_QUERY = 90;

/** Renames, in place, the redemption entries of erased customers made before their erasure; returns them. */
export async function applyErasures(db: D1Database, messages: LedgerMessage[]): Promise<LateErasure[]> {
  const subjects = new Map<string, string>();
  for (const m of messages) {
    for (const e of m.entries) {
      if (e.kind === "redemption" && e.redemption.customerId) subjects.set(`${m.team_id}\n${e.redemption.customerId}`, "");
    }
  }
  if (subjects.size === 0) return [];
  for (const key of subjects.keys()) {
    const [team, customer] = key.split("\n") as [string, string];
    subjects.set(key, await erasureSubject(team, customer));
  }
  const hashes = [...new Set(subjects.values())];
  const erasures = new Map<string, Erasure[]>();
  for (let i = 0; i < hashes.length; i += PARAMS_PER_QUERY) {
    const part = hashes.slice(i, i + PARAMS_PER_QUERY);
    const { results } = await db
      .prepare(`SELECT subject_hash, pseudonym, erased_at FROM customer_erasures WHERE subject_hash IN (${part.map(() => "?").join(", ")})`)
      .bind(...part)
      .all<{ subject_hash: string; pseudonym: string; erased_at: number }>();
    for (const r of results) erasures.set(r.subject_hash, [...(erasures.get(r.subject_hash) ?? []), { pseudonym: r.pseudonym, erasedAt: r.erased_at }]);
  }
  if (erasures.size === 0) return [];
  const late: LateErasure[] = [];
  for (const m of messages) {
    for (const e of m.entries) {
      if (e.kind !== "redemption" || !e.redemption.customerId) continue;
      const r = e.redemption;
      const found = erasures.get(subjects.get(`${m.team_id}\n${r.customerId}`)!) ?? [];
      // The first erasure after the redemption was made is the one that covers it.
      const covering = found.filter((x) => x.erasedAt > r.createdAt).sort((a, b) => a.erasedAt - b.erasedAt)[0];
      if (!covering) continue;
      late.push({ teamId: m.team_id, code: r.code, campaignId: r.campaignId, customerId: r.customerId!, pseudonym: covering.pseudonym, erasedAt: covering.erasedAt });
      e.redemption = { ...r, customerId: covering.pseudonym };
    }
  }
  return late;
}

/** Tells the objects that still hold the id. Best effort: the next erasure or delivery of the same redemption repeats it. */
export async function eraseLate(env: Env, late: LateErasure[]): Promise<void> {
  const calls = new Map<string, Promise<unknown>>();
  for (const l of late) {
    const vKey = `v:${l.teamId}:${l.code}:${l.customerId}`;
    if (!calls.has(vKey)) calls.set(vKey, env.VOUCHERS.get(env.VOUCHERS.idFromName(`${l.teamId}:${l.code}`)).eraseCustomer(l.customerId, l.pseudonym, l.erasedAt));
    if (l.campaignId) {
      const cKey = `c:${l.campaignId}:${l.customerId}`;
      if (!calls.has(cKey)) calls.set(cKey, env.CAMPAIGNS.get(env.CAMPAIGNS.idFromName(l.campaignId)).eraseCustomer(l.customerId, l.pseudonym));
    }
  }
  await Promise.allSettled(calls.values());
}
