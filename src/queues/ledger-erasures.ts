// Erasure meets the ledger stream: a redemption or reservation made before its customer was erased can reach D1
// after the erasure (the stream trails the checkout by seconds), from an object the erasure did not know of yet.
// Redemption entries are renamed to the pseudonym before they are written — their customer is then never registered
// again. A reservation report is checked inside its own write transaction (so an erasure committed at any moment
// before it counts) and is then not recorded at all. Either way the voucher and campaign objects that still hold
// the id are told (API.md §7: afterwards the id appears nowhere).
import type { LedgerMessage } from "../domain/ledger";
import type { Env } from "../env";
import { erasureStatements, erasureSubject, PSEUDONYM_PREFIX } from "../services/customer-erasure";
import type { PlanHooks } from "./ledger-writes";

type Erasure = { pseudonym: string; erasedAt: number };
export type LateErasure = { teamId: string; code: string; campaignId: string | null; customerId: string; pseudonym: string; erasedAt: number };

const PARAMS_PER_QUERY = 90;

/** The erasures recorded for these subjects (hashes of team and customer id), by subject. */
async function erasuresOf(db: D1Database, hashes: string[]): Promise<Map<string, Erasure[]>> {
  const erasures = new Map<string, Erasure[]>();
  for (let i = 0; i < hashes.length; i += PARAMS_PER_QUERY) {
    const part = hashes.slice(i, i + PARAMS_PER_QUERY);
    const { results } = await db
      .prepare(`SELECT subject_hash, pseudonym, erased_at FROM customer_erasures WHERE subject_hash IN (${part.map(() => "?").join(", ")})`)
      .bind(...part)
      .all<{ subject_hash: string; pseudonym: string; erased_at: number }>();
    for (const r of results) erasures.set(r.subject_hash, [...(erasures.get(r.subject_hash) ?? []), { pseudonym: r.pseudonym, erasedAt: r.erased_at }]);
  }
  return erasures;
}

/** The first erasure after a redemption was made is the one that covers it. */
const coveringErasure = (found: Erasure[] | undefined, createdAt: number) =>
  (found ?? []).filter((x) => x.erasedAt > createdAt).sort((a, b) => a.erasedAt - b.erasedAt)[0];

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
  const erasures = await erasuresOf(db, hashes);
  if (erasures.size === 0) return [];
  const late: LateErasure[] = [];
  for (const m of messages) {
    for (const e of m.entries) {
      if (e.kind !== "redemption" || !e.redemption.customerId) continue;
      const r = e.redemption;
      const covering = coveringErasure(erasures.get(subjects.get(`${m.team_id}\n${r.customerId}`)!), r.createdAt);
      if (!covering) continue;
      late.push({ teamId: m.team_id, code: r.code, campaignId: r.campaignId, customerId: r.customerId!, pseudonym: covering.pseudonym, erasedAt: covering.erasedAt });
      e.redemption = { ...r, customerId: covering.pseudonym };
    }
  }
  return late;
}

/**
 * After the write: redemption entries written under their customer's id whose customer an erasure covers that the
 * read before the write did not see (it recorded itself in between). That erasure may already have renamed D1 and
 * looked for its holders without finding these rows, so its D1 statements run again here (bounded by its time,
 * idempotent) and the objects are told. An erasure recorded after this read finds the rows itself: it looks after
 * it records (src/services/customer-erasure.ts), and the rows are committed by then.
 */
export async function recheckErasures(db: D1Database, written: readonly LedgerMessage[]): Promise<LateErasure[]> {
  const named: { teamId: string; r: Extract<LedgerMessage["entries"][number], { kind: "redemption" }>["redemption"]; subject: string }[] = [];
  for (const m of written) {
    for (const e of m.entries) {
      if (e.kind !== "redemption" || !e.redemption.customerId || e.redemption.customerId.startsWith(PSEUDONYM_PREFIX)) continue;
      named.push({ teamId: m.team_id, r: e.redemption, subject: await erasureSubject(m.team_id, e.redemption.customerId) });
    }
  }
  if (named.length === 0) return [];
  const hashes = [...new Set(named.map((n) => n.subject))];
  const erasures = await erasuresOf(db, hashes);
  if (erasures.size === 0) return [];
  const late: LateErasure[] = [];
  const rerun = new Map<string, { teamId: string; customerId: string; erasure: Erasure }>();
  for (const { teamId, r, subject } of named) {
    const covering = coveringErasure(erasures.get(subject), r.createdAt);
    if (!covering) continue;
    late.push({ teamId, code: r.code, campaignId: r.campaignId, customerId: r.customerId!, pseudonym: covering.pseudonym, erasedAt: covering.erasedAt });
    rerun.set(`${subject}\n${covering.erasedAt}`, { teamId, customerId: r.customerId!, erasure: covering });
  }
  for (const { teamId, customerId, erasure } of rerun.values()) {
    await db.batch(erasureStatements(db, teamId, customerId, erasure.pseudonym, erasure.erasedAt));
  }
  return late;
}

const col = (i: number) => `json_extract(value, '$[${i}]')`;

/**
 * The reservation rows of a chunk (ledger-writes.ts: team, customer, code, campaign, earliest, latest, subject) whose
 * customer was erased after the earliest reservation, with each covering erasure. Read in the transaction that
 * writes the chunk (and skips these rows): an erasure is either seen here, or committed after the rows, which the
 * erasure then finds in D1 (it records itself before it looks: src/services/customer-erasure.ts).
 */
const COVERED_RESERVATIONS_SQL = `SELECT ${col(0)} AS team_id, ${col(1)} AS customer_id, ${col(2)} AS code, ${col(3)} AS campaign_id,
       e.pseudonym AS pseudonym, e.erased_at AS erased_at
  FROM json_each(?1) JOIN customer_erasures e ON e.subject_hash = ${col(6)} AND e.erased_at > ${col(4)}`;

type CoveredRow = { team_id: string; customer_id: string; code: string; campaign_id: string | null; pseudonym: string; erased_at: number };

/**
 * The consumer's hooks for reservation reports: each row carries its erasure subject, and each chunk is followed
 * by the query of those an erasure covers; `read` takes a transaction's results, `late` then lists what to tell.
 */
export async function reservationErasures(db: D1Database, messages: readonly LedgerMessage[]) {
  const subjects = new Map<string, Promise<string>>();
  for (const m of messages) {
    for (const e of m.entries) {
      if (e.kind !== "customer_reservation") continue;
      const key = `${m.team_id}\u0000${e.customer_id}`;
      if (!subjects.has(key)) subjects.set(key, erasureSubject(m.team_id, e.customer_id));
    }
  }
  const hashes = new Map<string, string>();
  for (const [key, hash] of subjects) hashes.set(key, await hash);
  const probes = new Set<D1PreparedStatement>();
  const covered = new Map<string, LateErasure>();
  const hooks: Pick<PlanHooks<D1PreparedStatement>, "reservationCells" | "afterReservations"> = {
    reservationCells: (teamId, customerId) => [hashes.get(`${teamId}\u0000${customerId}`) ?? null],
    afterReservations: (json) => {
      const probe = db.prepare(COVERED_RESERVATIONS_SQL).bind(json);
      probes.add(probe);
      return [probe];
    },
  };
  return {
    hooks,
    read(statements: D1PreparedStatement[], results: D1Result[]) {
      statements.forEach((statement, i) => {
        if (!probes.has(statement)) return;
        for (const r of (results[i]?.results ?? []) as CoveredRow[]) {
          const key = `${r.team_id}\u0000${r.customer_id}\u0000${r.code}`;
          const held = covered.get(key);
          // The first erasure after the earliest reservation is the one that covers it.
          if (held && held.erasedAt <= r.erased_at) continue;
          covered.set(key, { teamId: r.team_id, code: r.code, campaignId: r.campaign_id, customerId: r.customer_id, pseudonym: r.pseudonym, erasedAt: r.erased_at });
        }
      });
    },
    late: (): LateErasure[] => [...covered.values()],
  };
}

/**
 * Tells the objects that still hold the id, all of them, then throws if any could not be reached: the delivery is
 * then retried (its writes change nothing the second time, and the same objects are told again).
 */
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
  const failed = (await Promise.allSettled(calls.values())).filter((o) => o.status === "rejected");
  if (failed.length > 0) {
    const reason: unknown = failed[0]!.reason;
    throw new Error(`erasure could not reach ${failed.length} object(s): ${reason instanceof Error ? reason.message : String(reason)}`);
  }
}
