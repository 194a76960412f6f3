// Bulk generation: the request answers 202 with a queued job at once; the Queue consumer makes the codes in chunks.
// A redelivered, concurrently delivered or partially done chunk must end with exactly its size, never more.
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import { BULK_DEAD_LETTER_RETRY_S } from "../../src/queues/bulk-dead-letters";
import { MAX_CHUNK_ATTEMPTS } from "../../src/queues/bulk";
import { deliverBatch } from "../helpers/queues";
import { call, createKey, expectError, newTeam } from "../helpers/api";
import { createCampaign, parseCsv, waitForJob } from "../helpers/campaigns";
import { order, validate } from "../helpers/vouchers";

const HEAVY = 120_000;
const QUEUE = "vauchflow-bulk-local";
const DEAD_LETTERS = "vauchflow-bulk-dlq-local";

async function setup(campaign: Record<string, unknown> = {}) {
  const { owner, admin } = await newTeam();
  const token = (await createKey(owner.accessToken, { name: "bulk", rate_limit_per_minute: 10_000 })).key;
  const created = await createCampaign(token, campaign);
  return { token, teamId: owner.teamId, campaignId: created.id as string };
}

let messageSeq = 0;
/** Delivers the given chunks of a job to the consumer as one batch, as the Queue would, and returns its ack/retry state. */
async function deliver(teamId: string, jobId: string, chunks: number[], attempts = 1) {
  const messages = chunks.map((chunk) => ({
    id: `msg-${++messageSeq}`,
    timestamp: new Date(),
    attempts,
    body: { kind: "bulk_chunk" as const, jobId, teamId, chunk },
  }));
  const batch = createMessageBatch(QUEUE, messages);
  const ctx = createExecutionContext();
  await worker.queue(batch, env);
  const result = await getQueueResult(batch, ctx);
  return { ids: messages.map((m) => m.id), result };
}

let jobSeq = 0;
/** A job row written straight into D1, with no message queued: only this test's own deliveries process it. */
async function insertJob(teamId: string, campaignId: string, count: number, pattern: Record<string, unknown>) {
  const id = `job_TEST${Date.now().toString(36).toUpperCase()}${++jobSeq}`;
  await env.DB.prepare(
    "INSERT INTO bulk_jobs (id, team_id, campaign_id, count, chunk_size, code_pattern, status, error, created_at, completed_at) VALUES (?, ?, ?, ?, 1000, ?, 'queued', NULL, ?, NULL)",
  )
    .bind(id, teamId, campaignId, count, JSON.stringify({ prefix: "", suffix: "", ...pattern }), Date.now())
    .run();
  return id;
}

/** Inserts vouchers with these codes into the team (not tagged with any job). */
async function preinsertCodes(teamId: string, codes: string[]) {
  const now = Date.now();
  for (let i = 0; i < codes.length; i += 500) {
    const rows = codes.slice(i, i + 500).map((code, j) => [`vch_PRE${now.toString(36).toUpperCase()}${i + j}`, code]);
    await env.DB.prepare(
      `INSERT INTO vouchers (id, code, team_id, campaign_id, type, discount, currency, redemptions_count, rules, active, metadata, created_at, updated_at)
       SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), ?1, NULL, 'discount', '{"type":"percent","percent_off":5}', NULL, 0, '{}', 1, '{}', ?2, ?2
         FROM json_each(?3)`,
    )
      .bind(teamId, now, JSON.stringify(rows))
      .run();
  }
}

const count = async (sql: string, ...params: unknown[]) => (await env.DB.prepare(sql).bind(...params).first<{ n: number }>())?.n ?? -1;
const jobCodes = async (jobId: string) =>
  (await env.DB.prepare("SELECT code FROM vouchers WHERE bulk_job_id = ?").bind(jobId).all<{ code: string }>()).results.map((r) => r.code);
const chunkSize = (jobId: string, chunk: number) => count("SELECT count(*) AS n FROM vouchers WHERE bulk_job_id = ? AND bulk_chunk = ?", jobId, chunk);
afterEach(() => vi.restoreAllMocks());

/** D1 in an outage: statements can be prepared and bound, none of them runs. */
function downD1(): D1Database {
  const fail = () => Promise.reject(new Error("D1_ERROR: Network connection lost. (simulated outage)"));
  const failing = (statement: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(statement, {
      get(s, p) {
        if (p === "first" || p === "run" || p === "all" || p === "raw") return fail;
        if (p === "bind") return (...args: unknown[]) => failing(s.bind(...args));
        const value: unknown = Reflect.get(s, p);
        return typeof value === "function" ? value.bind(s) : value;
      },
    });
  return new Proxy(env.DB, {
    get(target, prop) {
      if (prop === "batch" || prop === "exec") return fail;
      if (prop === "prepare") return (sql: string) => failing(target.prepare(sql));
      const value: unknown = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

const jobRow = (jobId: string) => env.DB.prepare("SELECT status, error, completed_at FROM bulk_jobs WHERE id = ?").bind(jobId).first<{ status: string; error: string | null; completed_at: number | null }>();

describe("POST /v1/vouchers/bulk", () => {
  it(
    "3000 codes: 202 queued at once, then completed with exactly 3000 unique codes in the CSV and in D1",
    async () => {
      const { token, teamId, campaignId } = await setup({ discount: { type: "amount", amount_off: 750 }, currency: "EUR", code_pattern: { prefix: "BF-", length: 8 } });
      const res = await call("POST", "/v1/vouchers/bulk", { token, body: { campaign_id: campaignId, count: 3000 } });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      expect(res.body).toMatchObject({ object: "job", status: "queued", count: 3000, generated_count: 0, campaign_id: campaignId, error: null, completed_at: null });
      expect(res.body.id).toMatch(/^job_[0-9A-Z]{26}$/);

      const job = await waitForJob(token, res.body.id);
      expect(job).toMatchObject({ id: res.body.id, object: "job", status: "completed", count: 3000, generated_count: 3000, campaign_id: campaignId, error: null });
      expect(Date.parse(job.completed_at)).not.toBeNaN();

      const csv = await call("GET", `/v1/jobs/${res.body.id}/codes`, { token });
      expect(csv.status).toBe(200);
      expect(csv.headers.get("Content-Type")).toMatch(/^text\/csv/);
      const rows = parseCsv(csv.body as string);
      expect(rows[0]).toEqual(["code", "voucher_id"]);
      const data = rows.slice(1);
      expect(data).toHaveLength(3000);
      expect(new Set(data.map((r) => r[0])).size).toBe(3000);
      expect(new Set(data.map((r) => r[1])).size).toBe(3000);
      for (const [code, id] of data) {
        expect(code).toMatch(/^BF-[ABCDEFGHJKMNPQRSTUVWXYZ2-9]{8}$/);
        expect(id).toMatch(/^vch_[0-9A-Z]{26}$/);
      }

      expect(await count("SELECT count(*) AS n FROM vouchers WHERE team_id = ? AND campaign_id = ?", teamId, campaignId)).toBe(3000);
      expect(await count("SELECT count(DISTINCT code) AS n FROM vouchers WHERE team_id = ? AND bulk_job_id = ?", teamId, res.body.id)).toBe(3000);
      const stats = await call("GET", `/v1/campaigns/${campaignId}`, { token });
      expect(stats.body.stats.vouchers_count).toBe(3000);

      // The generated vouchers are real campaign vouchers: they inherit its discount and can be used by code.
      const [code, id] = data[1234]!;
      const voucher = await call("GET", `/v1/vouchers/${code}`, { token });
      expect(voucher.body).toMatchObject({ id, code, campaign_id: campaignId, discount: { type: "amount", amount_off: 750 }, currency: "EUR" });
      expect((await validate(token, code!, { order: order(5000) })).body).toMatchObject({ valid: true, discount_amount: 750 });

      // They ask the campaign's object like any campaign voucher: paused means refused.
      await call("POST", `/v1/campaigns/${campaignId}/pause`, { token, body: { paused: true } });
      expect((await validate(token, data[2999]![0]!, { order: order(5000) })).body).toMatchObject({ valid: false, reason: "campaign_paused" });

      // Delivered again after completion (first and last chunk): nothing more is made.
      const again = await deliver(teamId, res.body.id, [0, 2, 2]);
      expect(again.result.retryMessages).toEqual([]);
      expect(again.result.explicitAcks.sort()).toEqual(again.ids.sort());
      expect(await count("SELECT count(*) AS n FROM vouchers WHERE bulk_job_id = ?", res.body.id)).toBe(3000);
      expect((await call("GET", `/v1/jobs/${res.body.id}`, { token })).body).toMatchObject({ status: "completed", generated_count: 3000 });
    },
    HEAVY,
  );

  it(
    "honours the pattern and charset: numeric, alphabetic, custom characters, and the campaign's own pattern by default",
    async () => {
      const { token, campaignId } = await setup({ code_pattern: { prefix: "cmp", suffix: "-z", length: 7, charset: "alphanumeric" } });
      const cases = [
        { code_pattern: { prefix: "n-", suffix: "-9", length: 6, charset: "numeric" }, re: /^N-[0-9]{6}-9$/ },
        { code_pattern: { prefix: "AB", length: 5, charset: "alphabetic" }, re: /^AB[A-Z]{5}$/ },
        { code_pattern: { prefix: "K", length: 10, charset: "custom", characters: "qx9_" }, re: /^K[QX9_]{10}$/ },
        { code_pattern: undefined, re: /^CMP[A-Z0-9]{7}-Z$/ },
      ];
      const jobs = [];
      for (const c of cases) {
        const res = await call("POST", "/v1/vouchers/bulk", { token, body: { campaign_id: campaignId, count: 400, code_pattern: c.code_pattern } });
        expect(res.status, JSON.stringify(res.body)).toBe(202);
        jobs.push(res.body.id as string);
      }
      for (const [i, c] of cases.entries()) {
        const job = await waitForJob(token, jobs[i]!);
        expect(job).toMatchObject({ status: "completed", generated_count: 400 });
        const data = parseCsv((await call("GET", `/v1/jobs/${jobs[i]}/codes`, { token })).body as string).slice(1);
        expect(data).toHaveLength(400);
        expect(new Set(data.map((r) => r[0])).size).toBe(400);
        for (const [code] of data) expect(code, JSON.stringify(c.code_pattern)).toMatch(c.re);
      }
      // The custom charset is really drawn from: every one of its characters shows up in 4000 draws.
      const custom = parseCsv((await call("GET", `/v1/jobs/${jobs[2]}/codes`, { token })).body as string)
        .slice(1)
        .map((r) => r[0]!.slice(1))
        .join("");
      expect(new Set(custom)).toEqual(new Set("QX9_"));
    },
    HEAVY,
  );

  it("a retried request with the same Idempotency-Key replays the job rather than starting another", async () => {
    const { token, teamId, campaignId } = await setup();
    const headers = { "Idempotency-Key": `bulk-${Date.now()}` };
    const first = await call("POST", "/v1/vouchers/bulk", { token, body: { campaign_id: campaignId, count: 30 }, headers });
    expect(first.status).toBe(202);
    const replay = await call("POST", "/v1/vouchers/bulk", { token, body: { campaign_id: campaignId, count: 30 }, headers });
    expect(replay.status).toBe(202);
    expect(replay.headers.get("Idempotent-Replayed")).toBe("true");
    expect(replay.body.id).toBe(first.body.id);
    expect((await waitForJob(token, first.body.id)).status).toBe("completed");
    expect(await count("SELECT count(*) AS n FROM bulk_jobs WHERE team_id = ?", teamId)).toBe(1);
    expect(await count("SELECT count(*) AS n FROM vouchers WHERE team_id = ?", teamId)).toBe(30);
  });

  it("a pattern too small for the count → 422 code_space_too_small and no job", async () => {
    const { token, teamId, campaignId } = await setup({ code_pattern: { prefix: "SM-", length: 2, charset: "numeric" } });
    const fromBody = await call("POST", "/v1/vouchers/bulk", {
      token,
      body: { campaign_id: campaignId, count: 50, code_pattern: { prefix: "X", length: 2, charset: "numeric" } },
    });
    expectError(fromBody, 422, "code_space_too_small");
    const fromCampaign = await call("POST", "/v1/vouchers/bulk", { token, body: { campaign_id: campaignId, count: 50 } });
    expectError(fromCampaign, 422, "code_space_too_small");
    // 50000 is a valid count: it is the pattern that refuses it.
    const max = await call("POST", "/v1/vouchers/bulk", {
      token,
      body: { campaign_id: campaignId, count: 50_000, code_pattern: { length: 4, charset: "alphabetic" } },
    });
    expectError(max, 422, "code_space_too_small");
    expect(await count("SELECT count(*) AS n FROM bulk_jobs WHERE team_id = ?", teamId)).toBe(0);
    expect(await count("SELECT count(*) AS n FROM vouchers WHERE team_id = ?", teamId)).toBe(0);
  });

  it("a pattern whose space is already used up by the team's codes → 422 code_space_too_small, not a job that cannot finish", async () => {
    // 100 codes in the space (AB00–AB99), every one of them already a voucher of the campaign.
    const { token, teamId, campaignId } = await setup({ code_pattern: { prefix: "AB", length: 2, charset: "numeric" } });
    for (let i = 0; i < 100; i += 25) {
      const made = await Promise.all(
        Array.from({ length: 25 }, (_, j) => call("POST", "/v1/vouchers", { token, body: { campaign_id: campaignId, code: `AB${String(i + j).padStart(2, "0")}` } })),
      );
      expect(made.every((m) => m.status === 201)).toBe(true);
    }
    const res = await call("POST", "/v1/vouchers/bulk", { token, body: { campaign_id: campaignId, count: 5 } });
    expectError(res, 422, "code_space_too_small");
    expect(await count("SELECT count(*) AS n FROM bulk_jobs WHERE team_id = ?", teamId)).toBe(0);
  });

  it("the codes CSV carries every code exactly as stored, even one that begins with '-'", async () => {
    const { token } = await setup();
    const created = await call("POST", "/v1/campaigns", {
      token,
      body: { name: "dash", discount: { type: "percent", percent_off: 5 }, code_pattern: { prefix: "-X", length: 8 } },
    });
    expect(created.status).toBe(201);
    const res = await call("POST", "/v1/vouchers/bulk", { token, body: { campaign_id: created.body.id, count: 20 } });
    expect(res.status).toBe(202);
    expect((await waitForJob(token, res.body.id)).status).toBe("completed");
    const stored = new Set(await jobCodes(res.body.id));
    const exported = parseCsv((await call("GET", `/v1/jobs/${res.body.id}/codes`, { token })).body as string)
      .slice(1)
      .map((r) => r[0]);
    expect(exported).toHaveLength(20);
    for (const code of exported) expect(stored.has(code!), `CSV has ${code}, not a stored code`).toBe(true);
  });

  it("refuses dry-run, out-of-range counts, malformed patterns and unknown campaigns", async () => {
    const { token, teamId, campaignId } = await setup();
    expectError(
      await call("POST", "/v1/vouchers/bulk", { token, body: { campaign_id: campaignId, count: 10 }, headers: { "Vauchflow-Dry-Run": "true" } }),
      400,
      "dry_run_not_supported",
    );
    for (const n of [50_001, 0, -1, 2.5]) {
      const res = await call("POST", "/v1/vouchers/bulk", { token, body: { campaign_id: campaignId, count: n } });
      expectError(res, 400, "invalid_request");
      expect(res.body.details.map((d: { path: string }) => d.path)).toContain("count");
    }
    expectError(await call("POST", "/v1/vouchers/bulk", { token, body: { campaign_id: campaignId } }), 400, "invalid_request");
    expectError(
      await call("POST", "/v1/vouchers/bulk", { token, body: { campaign_id: campaignId, count: 10, code_pattern: { charset: "custom" } } }),
      400,
      "invalid_request",
    );
    expectError(
      await call("POST", "/v1/vouchers/bulk", { token, body: { campaign_id: campaignId, count: 10, extra: true } }),
      400,
      "invalid_request",
    );
    expectError(await call("POST", "/v1/vouchers/bulk", { token, body: { campaign_id: "cmp_00000000000000000000000000", count: 10 } }), 404, "not_found");
    expect(await count("SELECT count(*) AS n FROM bulk_jobs WHERE team_id = ?", teamId)).toBe(0);
  });
});

describe("GET /v1/jobs/{id}", () => {
  it("another team's job is 404 on both job routes", async () => {
    const a = await setup();
    const b = await newTeam();
    const res = await call("POST", "/v1/vouchers/bulk", { token: a.token, body: { campaign_id: a.campaignId, count: 20 } });
    expect(res.status).toBe(202);
    expectError(await call("GET", `/v1/jobs/${res.body.id}`, { token: b.admin.key }), 404, "not_found");
    expectError(await call("GET", `/v1/jobs/${res.body.id}/codes`, { token: b.admin.key }), 404, "not_found");
    expectError(await call("GET", "/v1/jobs/job_00000000000000000000000000", { token: a.token }), 404, "not_found");
    expectError(await call("GET", "/v1/jobs/job_00000000000000000000000000/codes", { token: a.token }), 404, "not_found");
    const job = await waitForJob(a.token, res.body.id);
    expect(job).toMatchObject({ status: "completed", generated_count: 20 });
    expectError(await call("GET", `/v1/jobs/${res.body.id}/codes`, { token: b.admin.key }), 404, "not_found");
  });
});

describe("the bulk consumer", () => {
  it(
    "a chunk delivered twice in one batch, or concurrently, never makes extra codes",
    async () => {
      const { teamId, campaignId } = await setup();
      const jobId = await insertJob(teamId, campaignId, 2500, { length: 10, charset: "alphanumeric" });

      const twice = await deliver(teamId, jobId, [0, 0]);
      expect(twice.result.retryMessages).toEqual([]);
      expect(twice.result.explicitAcks.sort()).toEqual(twice.ids.sort());
      expect(await chunkSize(jobId, 0)).toBe(1000);
      expect((await jobRow(jobId))?.status).toBe("running");

      const concurrent = await Promise.all(Array.from({ length: 4 }, () => deliver(teamId, jobId, [1])));
      for (const d of concurrent) expect(d.result.retryMessages).toEqual([]);
      expect(await chunkSize(jobId, 1)).toBe(1000);
      expect((await jobRow(jobId))?.status).toBe("running");

      await Promise.all([deliver(teamId, jobId, [2]), deliver(teamId, jobId, [2, 0])]);
      expect(await chunkSize(jobId, 2)).toBe(500);
      expect(await chunkSize(jobId, 0)).toBe(1000);
      const done = await jobRow(jobId);
      expect(done?.status).toBe("completed");
      expect(done?.completed_at).toEqual(expect.any(Number));

      const codes = await jobCodes(jobId);
      expect(codes).toHaveLength(2500);
      expect(new Set(codes).size).toBe(2500);

      // After completion, every chunk again: still 2500.
      await Promise.all([deliver(teamId, jobId, [0, 1, 2]), deliver(teamId, jobId, [2, 1, 0])]);
      expect(await count("SELECT count(*) AS n FROM vouchers WHERE bulk_job_id = ?", jobId)).toBe(2500);
    },
    HEAVY,
  );

  it(
    "a partially done chunk is completed to exactly its size on redelivery",
    async () => {
      const { token, teamId, campaignId } = await setup();
      const jobId = await insertJob(teamId, campaignId, 2000, { length: 9, charset: "unambiguous" });
      await deliver(teamId, jobId, [0]);
      expect(await chunkSize(jobId, 0)).toBe(1000);
      const kept = new Set(await jobCodes(jobId));

      // Lose 137 of the chunk's vouchers, as a crash between writes might.
      await env.DB.prepare("DELETE FROM vouchers WHERE id IN (SELECT id FROM vouchers WHERE bulk_job_id = ? AND bulk_chunk = 0 ORDER BY id LIMIT 137)")
        .bind(jobId)
        .run();
      expect(await chunkSize(jobId, 0)).toBe(863);
      expect((await call("GET", `/v1/jobs/${jobId}`, { token })).body).toMatchObject({ status: "running", generated_count: 863 });

      const redelivered = await deliver(teamId, jobId, [0]);
      expect(redelivered.result.retryMessages).toEqual([]);
      expect(await chunkSize(jobId, 0)).toBe(1000);
      const after = await jobCodes(jobId);
      expect(after.filter((c) => kept.has(c))).toHaveLength(863);

      await deliver(teamId, jobId, [1]);
      const job = await call("GET", `/v1/jobs/${jobId}`, { token });
      expect(job.body).toMatchObject({ status: "completed", count: 2000, generated_count: 2000 });
      const all = await jobCodes(jobId);
      expect(all).toHaveLength(2000);
      expect(new Set(all).size).toBe(2000);
    },
    HEAVY,
  );

  it("codes already taken in the team are drawn around: the chunk still ends with exactly its size", async () => {
    const { teamId, campaignId } = await setup();
    // A space of 1000 codes (P000–P999) of which 400 are already taken by other vouchers of the team.
    const taken = Array.from({ length: 400 }, (_, i) => `P${String(i * 2).padStart(3, "0")}`);
    await preinsertCodes(teamId, taken);
    const jobId = await insertJob(teamId, campaignId, 100, { prefix: "P", length: 3, charset: "numeric" });

    const first = await deliver(teamId, jobId, [0]);
    expect(first.result.retryMessages).toEqual([]);
    const codes = await jobCodes(jobId);
    expect(codes).toHaveLength(100);
    expect(new Set(codes).size).toBe(100);
    const takenSet = new Set(taken);
    for (const code of codes) {
      expect(code).toMatch(/^P[0-9]{3}$/);
      expect(takenSet.has(code)).toBe(false);
    }
    expect((await jobRow(jobId))?.status).toBe("completed");
    expect(await count("SELECT count(*) AS n FROM vouchers WHERE team_id = ? AND bulk_job_id IS NULL", teamId)).toBe(400);
    expect(await count("SELECT count(*) AS n FROM vouchers WHERE team_id = ?", teamId)).toBe(500);
  });

  it("a chunk that cannot be completed is retried, then the job is marked failed with a reason", async () => {
    const { token, teamId, campaignId } = await setup();
    // Every code of the space F000–F999 is taken: nothing can be generated.
    await preinsertCodes(teamId, Array.from({ length: 1000 }, (_, i) => `F${String(i).padStart(3, "0")}`));
    const jobId = await insertJob(teamId, campaignId, 100, { prefix: "F", length: 3, charset: "numeric" });

    const early = await deliver(teamId, jobId, [0], 1);
    expect(early.result.retryMessages.map((m) => m.msgId)).toEqual(early.ids);
    expect((await jobRow(jobId))?.status).not.toBe("completed");

    const last = await deliver(teamId, jobId, [0], 8);
    expect(last.result.explicitAcks).toEqual(last.ids);
    const job = await call("GET", `/v1/jobs/${jobId}`, { token });
    expect(job.body).toMatchObject({ status: "failed", generated_count: 0 });
    expect(job.body.error).toEqual(expect.any(String));
    expect(job.body.error.length).toBeGreaterThan(0);
    expect(await count("SELECT count(*) AS n FROM vouchers WHERE bulk_job_id = ?", jobId)).toBe(0);
  });

  it("a body that is not a chunk is logged and dropped, never holding back its batch, even on its last attempt", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const { teamId, campaignId } = await setup();
    const jobId = await insertJob(teamId, campaignId, 10, { length: 10, charset: "alphanumeric" });
    const chunk = { kind: "bulk_chunk", jobId, teamId, chunk: 0 };
    const bodies = [null, { kind: "webhook_delivery", delivery_id: "dlv_X", attempt: 1 }, { ...chunk, chunk: "0" }, chunk];
    const d = await deliverBatch(QUEUE, bodies, { attempts: MAX_CHUNK_ATTEMPTS });
    expect(d.result.retryMessages).toEqual([]);
    expect(d.result.explicitAcks.sort()).toEqual([...d.ids].sort());
    expect((await jobRow(jobId))?.status).toBe("completed");
    expect(await chunkSize(jobId, 0)).toBe(10);
    const lines = errors.mock.calls.map(([l]) => JSON.parse(String(l)) as Record<string, unknown>).filter((l) => l.event === "bulk_message_malformed");
    expect(lines.map((l) => l.id)).toEqual(d.ids.slice(0, 3));
    expect(lines[1]?.body).toContain("webhook_delivery");
  });

  it("D1 down when the job should be marked failed: the chunk is retried, then the dead-letter queue marks the job failed", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    const { token, teamId, campaignId } = await setup();
    const jobId = await insertJob(teamId, campaignId, 1500, { length: 10, charset: "alphanumeric" });
    const chunk = { kind: "bulk_chunk", jobId, teamId, chunk: 1 };
    const down = await deliverBatch(QUEUE, [chunk], { attempts: MAX_CHUNK_ATTEMPTS + 1, env: { ...env, DB: downD1() } });
    expect(down.result.explicitAcks).toEqual([]);
    expect(down.retried).toEqual([{ id: down.ids[0], delaySeconds: expect.any(Number) }]);

    // The queue's retries ran out: the dead-letter queue's consumer waits while D1 is down, then fails the job.
    const stillDown = await deliverBatch(DEAD_LETTERS, [chunk], { env: { ...env, DB: downD1() } });
    expect(stillDown.retried).toEqual([{ id: stillDown.ids[0], delaySeconds: BULK_DEAD_LETTER_RETRY_S }]);
    const drained = await deliverBatch(DEAD_LETTERS, [chunk, chunk, { nonsense: true }]);
    expect(drained.result.explicitAcks.sort()).toEqual([...drained.ids].sort());
    const job = await call("GET", `/v1/jobs/${jobId}`, { token });
    expect(job.body).toMatchObject({ status: "failed", generated_count: 0 });
    expect(job.body.error).toContain("chunk 1");
    expect(await count("SELECT count(*) AS n FROM webhook_events WHERE team_id = ? AND type = 'bulk_job.failed'", teamId)).toBe(1);
    const lines = errors.mock.calls.map(([l]) => JSON.parse(String(l)) as Record<string, unknown>);
    expect(lines).toContainEqual(expect.objectContaining({ event: "bulk_dead_letters", queue: DEAD_LETTERS, received: 3, job_ids: [jobId], retrying: 0 }));

    // A completed job is left as it is.
    const other = await insertJob(teamId, campaignId, 5, { length: 10, charset: "alphanumeric" });
    await deliver(teamId, other, [0]);
    await deliverBatch(DEAD_LETTERS, [{ kind: "bulk_chunk", jobId: other, teamId, chunk: 0 }]);
    expect((await jobRow(other))?.status).toBe("completed");
  });
});
