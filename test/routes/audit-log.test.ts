// API.md §2: GET /v1/api-keys/{id}/audit-log — the key's requests that changed something, and its denied
// requests (401 once the key is identified, 403, 429): at, request_id, method, path, status, agent_context.
import { describe, expect, it } from "vitest";
import { type Answer, call, createAgentKey, createKey, newTeam, sleep } from "../helpers/api";
import { expectApiError, forgedWithCheck } from "../helpers/security";
import { type AuditEntry, auditPage, fullAuditLog, requestIdOf, uniqueId, waitForAudit } from "../helpers/guarantees";

const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const ENTRY_FIELDS = ["agent_context", "approval_id", "at", "decided_by", "method", "path", "request_id", "status"];
const CONTEXT = "agent=cursor;client=cursor-ide@0.42.0;prompt_fp=c0ffee00;conv=thread-7";

/** Request ids are time-sortable to the millisecond: spacing the requests keeps their order unambiguous. */
const tick = () => sleep(3);

function expectEntry(entry: AuditEntry | undefined, res: Answer, method: string, path: string, since: number) {
  expect(entry, `audit entry for ${method} ${path}`).toBeDefined();
  const e = entry as AuditEntry;
  expect(Object.keys(e).sort()).toEqual(ENTRY_FIELDS);
  expect(e).toMatchObject({ request_id: requestIdOf(res), method, path, status: res.status });
  expect(e.at).toMatch(RFC3339_UTC);
  expect(Date.parse(e.at)).toBeGreaterThanOrEqual(Math.floor(since / 1000) * 1000);
  expect(Date.parse(e.at)).toBeLessThanOrEqual(Date.now() + 1000);
}

describe("GET /v1/api-keys/{id}/audit-log — what is recorded", () => {
  it("records every state-changing request with request_id, method, path, status, agent_context and at — and nothing else", async () => {
    const since = Date.now();
    const { owner } = await newTeam();
    const key = await createKey(owner.accessToken, { name: "actor" });
    const customerId = uniqueId();

    const created = await call("POST", "/v1/customers", {
      token: key.key,
      body: { id: customerId },
      headers: { "Vauchflow-Agent-Context": CONTEXT },
    });
    expect(created.status).toBe(201);
    await tick();
    const minted = await call("POST", "/v1/api-keys", { token: key.key, body: { name: "minted", type: "secret", scopes: ["read"] } });
    expect(minted.status).toBe(201);
    await tick();
    const rotated = await call("POST", `/v1/api-keys/${minted.body.id}/rotate`, { token: key.key, body: {} });
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
    await tick();
    const revoked = await call("DELETE", `/v1/api-keys/${minted.body.id}`, { token: key.key });
    expect(revoked.status).toBe(204);
    await tick();

    // Not recorded: reads, failed writes that were not denials, and an idempotent replay (nothing changed).
    const quiet: Answer[] = [
      await call("GET", "/v1/api-keys", { token: key.key }),
      await call("GET", `/v1/api-keys/${key.id}/audit-log`, { token: key.key }),
      await call("POST", "/v1/customers", { token: key.key, body: { id: customerId } }),
      await call("POST", "/v1/customers", { token: key.key, body: { id: customerId, unknown: 1 } }),
    ];
    expect(quiet.map((r) => r.status)).toEqual([200, 200, 409, 400]);
    const idem = { "Idempotency-Key": crypto.randomUUID() };
    const originalBody = { id: uniqueId() };
    const original = await call("POST", "/v1/customers", { token: key.key, body: originalBody, headers: idem });
    expect(original.status).toBe(201);
    await tick();
    const replayed = await call("POST", "/v1/customers", { token: key.key, body: originalBody, headers: idem });
    expect(replayed.headers.get("Idempotent-Replayed")).toBe("true");
    quiet.push(replayed);
    await tick();
    const sentinel = await call("POST", "/v1/customers", { token: key.key, body: { id: uniqueId() } });
    expect(sentinel.status).toBe(201);

    const changes: [Answer, string, string][] = [
      [created, "POST", "/v1/customers"],
      [minted, "POST", "/v1/api-keys"],
      [rotated, "POST", `/v1/api-keys/${minted.body.id}/rotate`],
      [revoked, "DELETE", `/v1/api-keys/${minted.body.id}`],
      [original, "POST", "/v1/customers"],
      [sentinel, "POST", "/v1/customers"],
    ];
    const log = await waitForAudit(owner.accessToken, key.id, changes.map(([res]) => requestIdOf(res)));
    const byId = new Map(log.map((e) => [e.request_id, e]));
    for (const [res, method, path] of changes) expectEntry(byId.get(requestIdOf(res)), res, method, path, since);
    expect(byId.get(requestIdOf(created))?.agent_context).toEqual({
      agent: "cursor",
      client: "cursor-ide@0.42.0",
      prompt_fp: "c0ffee00",
      conv: "thread-7",
    });
    expect(byId.get(requestIdOf(minted))?.agent_context).toBeNull();
    for (const res of quiet) expect(byId.has(requestIdOf(res)), `${res.status} should not be recorded`).toBe(false);
    // Exactly the changes, newest first.
    expect(log.map((e) => e.request_id)).toEqual(changes.map(([res]) => requestIdOf(res)).reverse());
  });

  it("an idempotent replay is not recorded as a second change", async () => {
    const { owner } = await newTeam();
    const key = await createKey(owner.accessToken, { name: "retrier" });
    const body = { id: uniqueId() };
    const headers = { "Idempotency-Key": crypto.randomUUID() };
    const first = await call("POST", "/v1/customers", { token: key.key, body, headers });
    expect(first.status).toBe(201);
    const again = await call("POST", "/v1/customers", { token: key.key, body, headers });
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    await tick();
    const sentinel = await call("POST", "/v1/customers", { token: key.key, body: { id: uniqueId() } });
    const log = await waitForAudit(owner.accessToken, key.id, [requestIdOf(first), requestIdOf(sentinel)]);
    expect(log.map((e) => e.request_id)).toEqual([requestIdOf(sentinel), requestIdOf(first)]);
  });

  it("records a revoked key's 401 under that key, and the key keeps its log", async () => {
    const since = Date.now();
    const { owner, admin } = await newTeam();
    const key = await createKey(owner.accessToken, { name: "soon revoked" });
    const change = await call("POST", "/v1/customers", { token: key.key, body: { id: uniqueId() } });
    expect(change.status).toBe(201);
    expect((await call("DELETE", `/v1/api-keys/${key.id}`, { token: admin.key })).status).toBe(204);
    await tick();
    const denied = await call("POST", "/v1/customers", { token: key.key, body: { id: uniqueId() } });
    expectApiError(denied, 401, "invalid_api_key");

    const log = await waitForAudit(admin.key, key.id, [requestIdOf(change), requestIdOf(denied)]);
    expectEntry(log.find((e) => e.request_id === requestIdOf(denied)), denied, "POST", "/v1/customers", since);
    expectEntry(log.find((e) => e.request_id === requestIdOf(change)), change, "POST", "/v1/customers", since);
    // The owner (a user) can read it too.
    expect((await auditPage(owner.accessToken, key.id)).data.map((e) => e.request_id)).toEqual([requestIdOf(denied), requestIdOf(change)]);
  });

  it("records a 401 for a real key id presented with a wrong secret (and a right check)", async () => {
    const since = Date.now();
    const { owner } = await newTeam();
    const key = await createKey(owner.accessToken, { name: "guessed" });
    const forged = await forgedWithCheck("vf_sk_test_", key.id);
    expect(forged).not.toBe(key.key);
    expect(forged.slice(-26)).toBe(key.id.slice("key_".length));
    const denied = await call("DELETE", `/v1/api-keys/${key.id}`, { token: forged });
    expectApiError(denied, 401, "invalid_api_key");
    // The real key is unaffected.
    expect((await call("GET", "/v1/api-keys?limit=1", { token: key.key })).status).toBe(200);

    const log = await waitForAudit(owner.accessToken, key.id, [requestIdOf(denied)]);
    expectEntry(log.find((e) => e.request_id === requestIdOf(denied)), denied, "DELETE", `/v1/api-keys/${key.id}`, since);
  });

  it("records 403s: a missing scope, and a key type that may not make the call", async () => {
    const since = Date.now();
    const { owner } = await newTeam();
    const reader = await createKey(owner.accessToken, { name: "reader", scopes: ["read"] });
    const forbidden = await call("POST", "/v1/customers", {
      token: reader.key,
      body: { id: uniqueId() },
      headers: { "Vauchflow-Agent-Context": CONTEXT },
    });
    expectApiError(forbidden, 403, "insufficient_scope");
    const agent = await createAgentKey(owner.accessToken, { scopes: ["admin"] });
    const agentDenied = await call("POST", "/v1/api-keys", { token: agent.key, body: { name: "x", type: "secret" } });
    expect(agentDenied.status, JSON.stringify(agentDenied.body)).toBe(403);

    const log = await waitForAudit(owner.accessToken, reader.id, [requestIdOf(forbidden)]);
    const entry = log.find((e) => e.request_id === requestIdOf(forbidden));
    expectEntry(entry, forbidden, "POST", "/v1/customers", since);
    expect(entry?.agent_context).toMatchObject({ agent: "cursor", prompt_fp: "c0ffee00" });
    const agentLog = await waitForAudit(owner.accessToken, agent.id, [requestIdOf(agentDenied)]);
    expectEntry(agentLog.find((e) => e.request_id === requestIdOf(agentDenied)), agentDenied, "POST", "/v1/api-keys", since);
  });

  it("records 429s", async () => {
    const since = Date.now();
    const { owner } = await newTeam();
    const key = await createKey(owner.accessToken, { name: "tiny", rate_limit_per_minute: 1 });
    const read = await call("GET", "/v1/api-keys?limit=1", { token: key.key });
    expect(read.status).toBe(200);
    const limited = await call("GET", "/v1/api-keys?limit=1", { token: key.key });
    expectApiError(limited, 429, "rate_limit_exceeded");
    const log = await waitForAudit(owner.accessToken, key.id, [requestIdOf(limited)]);
    expectEntry(log.find((e) => e.request_id === requestIdOf(limited)), limited, "GET", "/v1/api-keys", since);
    // The admitted GET is not there.
    expect(log.map((e) => e.request_id)).toEqual([requestIdOf(limited)]);
  });
});

describe("audit entries under load", () => {
  it("60 concurrent writes, batched on their way to the queue, each leave exactly one entry", async () => {
    const { admin } = await newTeam();
    const answers = await Promise.all(
      Array.from({ length: 60 }, () => call("POST", "/v1/customers", { token: admin.key, body: { id: uniqueId() } })),
    );
    expect(answers.every((a) => a.status === 201)).toBe(true);
    const ids = answers.map(requestIdOf);
    const entries = await waitForAudit(admin.key, admin.id, ids);
    const recorded = entries.filter((e) => ids.includes(e.request_id));
    expect(recorded).toHaveLength(60);
    expect(new Set(recorded.map((e) => e.request_id)).size).toBe(60);
  });
});

describe("GET /v1/api-keys/{id}/audit-log — reading it", () => {
  it("pages newest first with limit and cursor", async () => {
    const { owner } = await newTeam();
    const key = await createKey(owner.accessToken, { name: "busy" });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await call("POST", "/v1/customers", { token: key.key, body: { id: uniqueId() } });
      expect(res.status).toBe(201);
      ids.push(requestIdOf(res));
      await tick();
    }
    await waitForAudit(owner.accessToken, key.id, ids);
    const newestFirst = [...ids].reverse();

    const first = await auditPage(owner.accessToken, key.id, "?limit=2");
    expect(first.data.map((e) => e.request_id)).toEqual(newestFirst.slice(0, 2));
    expect(first.has_more).toBe(true);
    expect(typeof first.next_cursor).toBe("string");
    const second = await auditPage(owner.accessToken, key.id, `?limit=2&cursor=${first.next_cursor}`);
    expect(second.data.map((e) => e.request_id)).toEqual(newestFirst.slice(2, 4));
    expect(second.has_more).toBe(true);
    const third = await auditPage(owner.accessToken, key.id, `?limit=2&cursor=${second.next_cursor}`);
    expect(third.data.map((e) => e.request_id)).toEqual(newestFirst.slice(4));
    expect(third.has_more).toBe(false);
    expect(third.next_cursor).toBeNull();

    // `at` never increases down the list.
    const ats = [...first.data, ...second.data, ...third.data].map((e) => Date.parse(e.at));
    for (let i = 1; i < ats.length; i++) expect(ats[i]).toBeLessThanOrEqual(ats[i - 1] as number);

    // Default page size is 20, so all five fit; limits outside 1..100 are refused.
    const all = await auditPage(owner.accessToken, key.id);
    expect(all.data.map((e) => e.request_id)).toEqual(newestFirst);
    expect(all.has_more).toBe(false);
    expectApiError(await call("GET", `/v1/api-keys/${key.id}/audit-log?limit=0`, { token: owner.accessToken }), 400, "invalid_request");
    expectApiError(await call("GET", `/v1/api-keys/${key.id}/audit-log?limit=101`, { token: owner.accessToken }), 400, "invalid_request");
  });

  it("another team's key → 404, for its keys and its users alike; an unknown id → 404", async () => {
    const a = await newTeam();
    const b = await newTeam();
    const res = await call("POST", "/v1/customers", { token: a.admin.key, body: { id: uniqueId() } });
    await waitForAudit(a.admin.key, a.admin.id, [requestIdOf(res)]);

    expectApiError(await call("GET", `/v1/api-keys/${a.admin.id}/audit-log`, { token: b.admin.key }), 404, "not_found");
    expectApiError(await call("GET", `/v1/api-keys/${a.admin.id}/audit-log`, { token: b.owner.accessToken }), 404, "not_found");
    expectApiError(await call("GET", "/v1/api-keys/key_01JD0000000000000000000000/audit-log", { token: a.admin.key }), 404, "not_found");
  });

  it("needs read:api_keys: a key with other read scopes → 403 insufficient_scope; read:api_keys alone suffices", async () => {
    const { owner, admin } = await newTeam();
    const narrow = await createKey(owner.accessToken, { name: "narrow", scopes: ["read:customers", "read:vouchers", "write:customers"] });
    expectApiError(await call("GET", `/v1/api-keys/${admin.id}/audit-log`, { token: narrow.key }), 403, "insufficient_scope");
    const keysReader = await createKey(owner.accessToken, { name: "keys reader", scopes: ["read:api_keys"] });
    expect((await call("GET", `/v1/api-keys/${admin.id}/audit-log`, { token: keysReader.key })).status).toBe(200);
    const legacyRead = await createKey(owner.accessToken, { name: "legacy read", scopes: ["read"] });
    expect((await call("GET", `/v1/api-keys/${admin.id}/audit-log`, { token: legacyRead.key })).status).toBe(200);
  });

  it("a revoked key's log stays readable, including what it did before revocation", async () => {
    const { owner, admin } = await newTeam();
    const key = await createKey(owner.accessToken, { name: "retired" });
    const changes: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await call("POST", "/v1/customers", { token: key.key, body: { id: uniqueId() } });
      expect(res.status).toBe(201);
      changes.push(requestIdOf(res));
      await tick();
    }
    await waitForAudit(admin.key, key.id, changes);
    expect((await call("DELETE", `/v1/api-keys/${key.id}`, { token: admin.key })).status).toBe(204);
    // It is gone from the list of active keys…
    const listed = await call("GET", "/v1/api-keys?limit=100", { token: admin.key });
    expect((listed.body.data as { id: string }[]).map((k) => k.id)).not.toContain(key.id);
    // …but its log is still there.
    const log = await fullAuditLog(admin.key, key.id);
    expect(log.map((e) => e.request_id)).toEqual([...changes].reverse());
  });
});
