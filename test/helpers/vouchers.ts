// Small helpers for the voucher and customer route tests: create a voucher, redeem it, and read what the voucher
// object's outbox writes to D1 through the ledger queue (history, listing counts) deterministically.
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { expect } from "vitest";
import { call } from "./api";
import { type PollOptions, pollUntil } from "./poll";

/** Creates a voucher (default: 10% off) and fails the test unless it answers 201. */
export async function createVoucher(token: string, body: Record<string, unknown> = {}) {
  const res = await call("POST", "/v1/vouchers", { token, body: { discount: { type: "percent", percent_off: 10 }, ...body } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

let seq = 0;
/** A code nobody else uses: tests never share codes, even within a team. */
export const uniqueCode = (prefix = "T") =>
  `${prefix}-${Date.now().toString(36)}${(++seq).toString(36)}${Math.floor(Math.random() * 36 ** 4).toString(36)}`.toUpperCase();

let orders = 0;
export const uniqueOrderId = () => `ord-${Date.now().toString(36)}-${++orders}-${Math.floor(Math.random() * 1e6)}`;

export const order = (amount = 10_000, extra: Record<string, unknown> = {}) => ({ id: uniqueOrderId(), amount, currency: "EUR", ...extra });

export const redeem = (token: string, code: string, body: Record<string, unknown>) => call("POST", `/v1/vouchers/${code}/redeem`, { token, body });
export const validate = (token: string, code: string, body: Record<string, unknown>, headers?: Record<string, string>) =>
  call("POST", `/v1/vouchers/${code}/validate`, { token, body, headers });
export const rollback = (token: string, code: string, body: Record<string, unknown>) => call("POST", `/v1/vouchers/${code}/rollback`, { token, body });

/** Redeems and fails the test unless it answers 201. */
export async function redeemOk(token: string, code: string, body: Record<string, unknown>) {
  const res = await redeem(token, code, body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

export const voucherObject = (teamId: string, code: string) => env.VOUCHERS.get(env.VOUCHERS.idFromName(`${teamId}:${code.toUpperCase()}`));

/**
 * Reads until `done` holds, running the voucher objects' pending alarms (which ship their outboxes to the ledger
 * queue, whose consumer writes D1) between tries. A read that throws (say, a 404 for a customer D1 has not yet
 * registered) counts as not done. Bounded by `timeoutMs` (default poll.ts's PATIENCE_MS), then the last value is
 * returned (or the last error thrown) so the test's own assertion fails with it.
 */
export async function flushedRead<T>(
  objects: { teamId: string; code: string }[],
  read: () => Promise<T>,
  done: (value: T) => boolean,
  options: Pick<PollOptions, "timeoutMs"> = {},
): Promise<T> {
  const attempt = async (): Promise<{ value: T } | { error: unknown }> => {
    try {
      return { value: await read() };
    } catch (error) {
      return { error };
    }
  };
  const last = await pollUntil(attempt, (a) => "value" in a && done(a.value), {
    ...options,
    between: async () => {
      for (const o of objects) await runDurableObjectAlarm(voucherObject(o.teamId, o.code));
    },
  });
  if ("error" in last) throw last.error;
  return last.value;
}

type Held = { version: number; redemptions: string[] };

/** What D1 must show once the voucher object's news has landed: its change number and each redemption's status. */
const heldByObject = (teamId: string, code: string) =>
  runInDurableObject(voucherObject(teamId, code), (_i, state): Held => ({
    version: state.storage.sql.exec<{ v: number }>("SELECT mirror_version AS v FROM counters").toArray()[0]?.v ?? 0,
    redemptions: state.storage.sql.exec<{ s: string }>("SELECT id || ':' || status AS s FROM redemptions ORDER BY id").toArray().map((r) => r.s),
  }));

async function heldByD1(teamId: string, code: string): Promise<Held> {
  const voucher = await env.DB.prepare("SELECT mirror_version AS v FROM vouchers WHERE team_id = ? AND code = ?").bind(teamId, code.toUpperCase()).first<{ v: number }>();
  const { results } = await env.DB.prepare("SELECT id || ':' || status AS s FROM redemptions WHERE team_id = ? AND code = ? ORDER BY id")
    .bind(teamId, code.toUpperCase())
    .all<{ s: string }>();
  return { version: voucher?.v ?? 0, redemptions: results.map((r) => r.s) };
}

/**
 * Ships the voucher object's outbox now and waits until D1 shows everything the object holds: its change number
 * (the listing copy) and every redemption with its status. Fails at poll.ts's PATIENCE_MS, showing both sides.
 */
export async function flushVoucher(teamId: string, code: string) {
  const sides = async () => {
    await runDurableObjectAlarm(voucherObject(teamId, code));
    return { want: await heldByObject(teamId, code), have: await heldByD1(teamId, code) };
  };
  const { want, have } = await pollUntil(sides, (s) => JSON.stringify(s.want) === JSON.stringify(s.have));
  expect(have, "D1 after the voucher's outbox shipped").toEqual(want);
}

/** Every row of every table a Durable Object keeps, as one JSON text: to assert what its storage holds nowhere. */
export const objectStorageText = (stub: DurableObjectStub) =>
  runInDurableObject(stub, (_instance, state) => {
    const tables = state.storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '_cf_%' AND name NOT LIKE 'sqlite_%'").toArray();
    return JSON.stringify(tables.map(({ name }) => state.storage.sql.exec(`SELECT * FROM "${name}"`).toArray()));
  });

/** The D1 tables holding `text` anywhere in any row (all tables, every column): to assert an id is gone from D1. */
export async function d1TablesContaining(text: string): Promise<string[]> {
  const { results: tables } = await env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name <> 'd1_migrations'",
  ).all<{ name: string }>();
  const hits: string[] = [];
  for (const { name } of tables) {
    const { results } = await env.DB.prepare(`SELECT * FROM "${name}"`).all();
    if (JSON.stringify(results).includes(text)) hits.push(name);
  }
  return hits;
}
