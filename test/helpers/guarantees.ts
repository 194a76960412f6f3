// Helpers for the request guarantees of API.md §3–§4 and the audit log of §2: reading a key's audit log until
// entries land (they travel through a queue), parsing the RateLimit headers, and the fingerprint an
// Idempotency-Key is bound to.
import { env } from "cloudflare:test";
import { expect } from "vitest";
import { type Answer, call } from "./api";
import { pollUntil } from "./poll";

export type AuditEntry = {
  at: string;
  request_id: string;
  method: string;
  path: string;
  status: number;
  agent_context: { agent: string; client: string | null; prompt_fp: string | null; conv: string | null } | null;
};

/** One page of a key's audit log; fails the test unless it answers 200. */
export async function auditPage(token: string, keyId: string, query = "") {
  const res = await call("GET", `/v1/api-keys/${keyId}/audit-log${query}`, { token });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { data: AuditEntry[]; has_more: boolean; next_cursor: string | null };
}

/** Every entry of a key's log, following cursors. */
export async function fullAuditLog(token: string, keyId: string): Promise<AuditEntry[]> {
  const entries: AuditEntry[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 50; i++) {
    const page = await auditPage(token, keyId, `?limit=100${cursor ? `&cursor=${cursor}` : ""}`);
    entries.push(...page.data);
    if (!page.has_more) return entries;
    cursor = page.next_cursor;
  }
  throw new Error("audit log did not end within 50 pages");
}

/**
 * Polls the key's log until every request id in `requestIds` is there (up to poll.ts's PATIENCE_MS), then returns
 * the whole log. Entries are written from a queue after the answer, so they appear a moment later.
 */
export async function waitForAudit(token: string, keyId: string, requestIds: string[]): Promise<AuditEntry[]> {
  const hasAll = (log: AuditEntry[]) => {
    const seen = new Set(log.map((e) => e.request_id));
    return requestIds.every((id) => seen.has(id));
  };
  const log = await pollUntil(() => fullAuditLog(token, keyId), hasAll, { intervalMs: 100 });
  if (hasAll(log)) return log;
  const seen = new Set(log.map((e) => e.request_id));
  throw new Error(`audit entries never appeared: ${requestIds.filter((id) => !seen.has(id)).join(", ")} (log: ${JSON.stringify(log)})`);
}

export const requestIdOf = (res: Answer) => {
  const id = res.headers.get("Request-Id");
  if (!id) throw new Error("response without Request-Id");
  return id;
};

/** `RateLimit-Policy: "default";q=<limit>;w=60` and `RateLimit: "default";r=<remaining>;t=<seconds>`, parsed strictly. */
export function rateHeaders(res: Answer): { q: number; w: number; r: number; t: number } {
  const policy = res.headers.get("RateLimit-Policy");
  const limit = res.headers.get("RateLimit");
  const p = /^"default";q=(\d+);w=(\d+)$/.exec(policy ?? "");
  const l = /^"default";r=(\d+);t=(\d+)$/.exec(limit ?? "");
  if (!p || !l) throw new Error(`missing or malformed RateLimit headers on ${res.status}: policy=${policy} limit=${limit}`);
  return { q: Number(p[1]), w: Number(p[2]), r: Number(l[1]), t: Number(l[2]) };
}

export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Customer rows with this id in the team, read straight from D1. */
export async function customerRows(teamId: string, customerId: string): Promise<number> {
  const row = await env.DB.prepare("SELECT COUNT(*) AS n FROM customers WHERE team_id = ? AND id = ?").bind(teamId, customerId).first<{ n: number }>();
  return Number(row?.n ?? 0);
}

let seq = 0;
export const uniqueId = (prefix = "cus") => `${prefix}-${Date.now().toString(36)}-${++seq}-${Math.floor(Math.random() * 1e9).toString(36)}`;
