// Small helpers for the voucher and customer route tests: create a voucher, redeem it, and read what the voucher
// object's outbox writes to D1 (history, listing counts) deterministically.
import { env, runDurableObjectAlarm } from "cloudflare:test";
import { expect } from "vitest";
import { call, sleep } from "./api";

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
 * Reads until `done` holds, running the voucher objects' pending alarms (their outbox flush to D1) before each
 * try. Bounded: about 5 s, then the last value is returned so the test's own assertion fails with it.
 */
export async function flushedRead<T>(objects: { teamId: string; code: string }[], read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  let value = await read();
  for (let i = 0; i < 100 && !done(value); i++) {
    for (const o of objects) await runDurableObjectAlarm(voucherObject(o.teamId, o.code));
    await sleep(50);
    value = await read();
  }
  return value;
}

/** Runs a voucher object's pending outbox flushes until none is scheduled. */
export async function flushVoucher(teamId: string, code: string) {
  for (let i = 0; i < 50 && (await runDurableObjectAlarm(voucherObject(teamId, code))); i++);
}
