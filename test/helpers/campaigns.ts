// Small helpers for the campaign, budget and bulk tests: create a campaign and its vouchers, read its stats,
// and wait for a bulk job with a bounded loop.
import { expect } from "vitest";
import { call } from "./api";
import { pollUntil } from "./poll";

/** Creates a campaign (default: 10% off, no limits) and fails the test unless it answers 201. */
export async function createCampaign(token: string, body: Record<string, unknown> = {}) {
  const res = await call("POST", "/v1/campaigns", { token, body: { name: "Campaign", discount: { type: "percent", percent_off: 10 }, ...body } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

/** Creates `count` vouchers of the campaign (their codes generated from its pattern), a few at a time. */
export async function campaignVouchers(token: string, campaignId: string, count: number, extra: Record<string, unknown> = {}): Promise<string[]> {
  const codes: string[] = [];
  for (let i = 0; i < count; i += 50) {
    const answers = await Promise.all(
      Array.from({ length: Math.min(50, count - i) }, () => call("POST", "/v1/vouchers", { token, body: { campaign_id: campaignId, ...extra } })),
    );
    for (const a of answers) {
      expect(a.status, JSON.stringify(a.body)).toBe(201);
      codes.push(a.body.code);
    }
  }
  return codes;
}

export async function campaignStats(token: string, campaignId: string) {
  const res = await call("GET", `/v1/campaigns/${campaignId}`, { token });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.stats as {
    vouchers_count: number;
    vouchers_redeemed_count: number;
    redemptions_count: number;
    discount_total: number;
    budget_remaining: number | null;
  };
}

/**
 * Polls GET /v1/jobs/{id} until the job is completed or failed (bounded: 45 s, within the suite's test timeout,
 * since a job of thousands of codes on a loaded machine takes a while), and returns the last answer.
 */
export function waitForJob(token: string, jobId: string) {
  return pollUntil(
    async () => (await call("GET", `/v1/jobs/${jobId}`, { token })).body,
    (job) => job.status === "completed" || job.status === "failed",
    { timeoutMs: 45_000, intervalMs: 200 },
  );
}

/** The rows of GET /v1/jobs/{id}/codes: header first, then `code,voucher_id` pairs. */
export function parseCsv(text: string): string[][] {
  return text
    .split(/\r?\n/)
    .filter((line) => line.length > 0)
    .map((line) => line.split(","));
}
