// API.md §3, Idempotency-Key: same key + same method, path and body replays the first answer with
// Idempotent-Replayed: true; anything else with that key → 422; a retry while the first runs → 409; 5xx not kept;
// scoped to the credential (test/middleware/idempotency-scope.test.ts holds who may replay what).
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { type Answer, call, createKey, newTeam } from "../helpers/api";
import { expectApiError } from "../helpers/security";
import { customerRows, sha256Hex, uniqueId } from "../helpers/guarantees";

const idemKey = () => `idem-${crypto.randomUUID()}`;

const createCustomer = (token: string, key: string | undefined, body: unknown, headers: Record<string, string> = {}) =>
  call("POST", "/v1/customers", { token, body, headers: { ...headers, ...(key === undefined ? {} : { "Idempotency-Key": key }) } });

const listKeyIds = async (token: string) => {
  const res = await call("GET", "/v1/api-keys?limit=100", { token });
  expect(res.status).toBe(200);
  return (res.body.data as { id: string }[]).map((k) => k.id);
};

function expectReplayOf(replay: Answer, first: Answer) {
  expect(replay.status).toBe(first.status);
  expect(replay.body).toEqual(first.body);
  expect(replay.headers.get("Idempotent-Replayed")).toBe("true");
  expect(replay.headers.get("Content-Type")).toMatch(/^application\/json/);
}

/** The object holding (team, Idempotency-Key), and the fingerprint a POST with this JSON body is bound to. */
/** The object holding an API key's Idempotency-Key (keys are scoped to the credential, API.md §3). */
const idempotencyStub = (apiKeyId: string, key: string) => env.IDEMPOTENCY.get(env.IDEMPOTENCY.idFromName(`key:${apiKeyId}\n${key}`));
const fingerprint = (method: string, path: string, body: unknown) => sha256Hex(`${method} ${path}\n${JSON.stringify(body)}`);

type StoredRecord = { state: string; leaseUntil?: number; createdAt: number };
/** Rewrites the object's private record (in memory and in storage) so a test can move its clock-bound fields. */
async function editRecord(stub: ReturnType<typeof idempotencyStub>, edit: (record: StoredRecord) => void) {
  await runInDurableObject(stub, async (instance, state) => {
    const held = instance as unknown as { record: StoredRecord | null | undefined };
    const record = held.record ?? (await state.storage.get<StoredRecord>("record")) ?? null;
    if (!record) throw new Error("the idempotency object holds no record");
    edit(record);
    held.record = record;
    await state.storage.put("record", record);
  });
}

describe("Idempotency-Key (API.md §3)", () => {
  it("replays POST /v1/customers: same status and body, Idempotent-Replayed: true, one customer row", async () => {
    const { owner, admin } = await newTeam();
    const key = idemKey();
    const body = { id: uniqueId(), metadata: { tier: "gold" } };
    const first = await createCustomer(admin.key, key, body);
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.headers.get("Idempotent-Replayed")).toBeNull();

    const second = await createCustomer(admin.key, key, body);
    expectReplayOf(second, first);
    // Without the key the same body is a real second attempt: the customer exists.
    expectApiError(await createCustomer(admin.key, undefined, body), 409, "duplicate_customer");
    // The key belongs to the credential: the owner sending the same key and body makes a new attempt.
    const fromOwner = await createCustomer(owner.accessToken, key, body);
    expectApiError(fromOwner, 409, "duplicate_customer");
    expect(fromOwner.headers.get("Idempotent-Replayed")).toBeNull();
    expect(await customerRows(owner.teamId, body.id)).toBe(1);
  });

  it("replays POST /v1/api-keys: the same key (id and secret) comes back and only one key is created", async () => {
    const { owner, admin } = await newTeam();
    const before = await listKeyIds(admin.key);
    const key = idemKey();
    const body = { name: "idempotent", type: "secret", scopes: ["read"] };
    const first = await call("POST", "/v1/api-keys", { token: admin.key, body, headers: { "Idempotency-Key": key } });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    const second = await call("POST", "/v1/api-keys", { token: admin.key, body, headers: { "Idempotency-Key": key } });
    expectReplayOf(second, first);
    expect(second.body.id).toBe(first.body.id);
    expect(second.body.key).toBe(first.body.key);

    const after = await listKeyIds(owner.accessToken);
    expect(after).toHaveLength(before.length + 1);
    expect(after).toContain(first.body.id);
  });

  it("a stored 4xx (409 duplicate_customer) is replayed, not re-run", async () => {
    const { owner, admin } = await newTeam();
    const body = { id: uniqueId() };
    expect((await createCustomer(admin.key, undefined, body)).status).toBe(201);
    const key = idemKey();
    const first = await createCustomer(admin.key, key, body);
    expectApiError(first, 409, "duplicate_customer");
    expect(first.headers.get("Idempotent-Replayed")).toBeNull();

    // Remove the customer behind the API's back: a re-run would now succeed, a replay still answers 409.
    await env.DB.prepare("DELETE FROM customers WHERE team_id = ? AND id = ?").bind(owner.teamId, body.id).run();
    const replay = await createCustomer(admin.key, key, body);
    expectReplayOf(replay, first);
    expect(replay.body.request_id).toBe(first.body.request_id);
    expect(await customerRows(owner.teamId, body.id)).toBe(0);
  });

  it("the same key with a different body or path → 422 idempotency_key_mismatch, and nothing runs", async () => {
    const { owner, admin } = await newTeam();
    const key = idemKey();
    const body = { id: uniqueId() };
    expect((await createCustomer(admin.key, key, body)).status).toBe(201);

    const otherBody = { id: uniqueId() };
    expectApiError(await createCustomer(admin.key, key, otherBody), 422, "idempotency_key_mismatch");
    expect(await customerRows(owner.teamId, otherBody.id)).toBe(0);
    // Same body bytes but metadata added: a different body.
    expectApiError(await createCustomer(admin.key, key, { ...body, metadata: { a: "b" } }), 422, "idempotency_key_mismatch");

    const keysBefore = await listKeyIds(admin.key);
    const otherPath = await call("POST", "/v1/api-keys", { token: admin.key, body: { name: "x", type: "secret" }, headers: { "Idempotency-Key": key } });
    expectApiError(otherPath, 422, "idempotency_key_mismatch");
    expect(await listKeyIds(admin.key)).toEqual(keysBefore);

    // The original request is still replayed afterwards.
    const replay = await createCustomer(admin.key, key, body);
    expect(replay.status).toBe(201);
    expect(replay.headers.get("Idempotent-Replayed")).toBe("true");
  });

  it("keys are scoped to the team: team B may use team A's key string freely", async () => {
    const a = await newTeam();
    const b = await newTeam();
    const key = idemKey();
    const body = { id: uniqueId() };
    expect((await createCustomer(a.admin.key, key, body)).status).toBe(201);

    // Same key and body in team B: executes (not a replay of team A's answer).
    const sameBody = await createCustomer(b.admin.key, key, body);
    expect(sameBody.status, JSON.stringify(sameBody.body)).toBe(201);
    expect(sameBody.headers.get("Idempotent-Replayed")).toBeNull();
    expect(await customerRows(b.owner.teamId, body.id)).toBe(1);

    // The same key string with a different body in a third team: no mismatch across teams either.
    const c = await newTeam();
    const other = { id: uniqueId() };
    const differentBody = await createCustomer(c.admin.key, key, other);
    expect(differentBody.status, JSON.stringify(differentBody.body)).toBe(201);
    expect(await customerRows(c.owner.teamId, other.id)).toBe(1);
    expect(await customerRows(a.owner.teamId, other.id)).toBe(0);
  });

  it("50 concurrent requests with one key: exactly one executes; the others are 409 in use or replays", async () => {
    const { owner, admin } = await newTeam();
    const key = idemKey();
    const body = { id: uniqueId() };
    const answers = await Promise.all(Array.from({ length: 50 }, () => createCustomer(admin.key, key, body)));

    const executed = answers.filter((a) => a.status === 201 && a.headers.get("Idempotent-Replayed") !== "true");
    expect(executed).toHaveLength(1);
    const original = executed[0] as Answer;
    for (const a of answers) {
      if (a === original) continue;
      if (a.status === 409) expectApiError(a, 409, "idempotency_key_in_use");
      else expectReplayOf(a, original);
    }
    expect(await customerRows(owner.teamId, body.id)).toBe(1);
    // After the dust settles, a retry is a replay.
    expectReplayOf(await createCustomer(admin.key, key, body), original);
  });

  it("a crashed first attempt holds the key only until its lease ends", async () => {
    const { owner, admin } = await newTeam();
    const key = idemKey();
    const body = { id: uniqueId() };
    const stub = idempotencyStub(admin.id, key);
    // The first attempt begins and never completes (its worker died).
    const begun = await stub.begin(await fingerprint("POST", "/v1/customers", body));
    expect(begun.kind).toBe("execute");

    expectApiError(await createCustomer(admin.key, key, body), 409, "idempotency_key_in_use");
    expect(await customerRows(owner.teamId, body.id)).toBe(0);

    await editRecord(stub, (record) => {
      expect(record.state).toBe("running");
      record.leaseUntil = Date.now() - 1000;
    });
    const retry = await createCustomer(admin.key, key, body);
    expect(retry.status, JSON.stringify(retry.body)).toBe(201);
    expect(retry.headers.get("Idempotent-Replayed")).toBeNull();
    expect(await customerRows(owner.teamId, body.id)).toBe(1);
    expectReplayOf(await createCustomer(admin.key, key, body), retry);
  });

  it("an object that restarts (in-memory state lost) still replays from storage", async () => {
    const { owner, admin } = await newTeam();
    const key = idemKey();
    const body = { id: uniqueId() };
    const first = await createCustomer(admin.key, key, body);
    expect(first.status).toBe(201);
    await runInDurableObject(idempotencyStub(admin.id, key), async (instance) => {
      (instance as unknown as { record: unknown }).record = undefined;
    });
    expectReplayOf(await createCustomer(admin.key, key, body), first);
    expectApiError(await createCustomer(admin.key, key, { id: uniqueId() }), 422, "idempotency_key_mismatch");
  });

  it("a 5xx answer is not kept: the next attempt executes", async () => {
    const { owner, admin } = await newTeam();
    const key = idemKey();
    const body = { id: uniqueId() };
    const fp = await fingerprint("POST", "/v1/customers", body);
    const stub = idempotencyStub(admin.id, key);

    const first = await stub.begin(fp);
    if (first.kind !== "execute") throw new Error(`expected execute, got ${first.kind}`);
    await stub.complete(first.attempt, { status: 500, body: '{"error":"internal_error"}', contentType: "application/json", teamId: owner.teamId });
    const second = await stub.begin(fp);
    expect(second.kind).toBe("execute");
    if (second.kind !== "execute") return;
    await stub.complete(second.attempt, { status: 503, body: "", contentType: null, teamId: owner.teamId });

    // Over HTTP too: the key is free and the request runs for real.
    const res = await createCustomer(admin.key, key, body);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.headers.get("Idempotent-Replayed")).toBeNull();
    expect(await customerRows(owner.teamId, body.id)).toBe(1);
  });

  it("answers are kept 24 hours, then the key is free again", async () => {
    const { owner, admin } = await newTeam();
    const key = idemKey();
    const body = { id: uniqueId() };
    expect((await createCustomer(admin.key, key, body)).status).toBe(201);
    await editRecord(idempotencyStub(admin.id, key), (record) => {
      expect(record.state).toBe("done");
      record.createdAt -= 24 * 60 * 60 * 1000 + 1000;
    });
    // A different body would be a mismatch within 24 h; now it simply runs.
    const other = { id: uniqueId() };
    const res = await createCustomer(admin.key, key, other);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.headers.get("Idempotent-Replayed")).toBeNull();
    expect(await customerRows(owner.teamId, other.id)).toBe(1);
  });

  it("an Idempotency-Key outside 1–255 characters → 400 invalid_header; 255 is accepted", async () => {
    const { owner, admin } = await newTeam();
    const tooLong = { id: uniqueId() };
    expectApiError(await createCustomer(admin.key, "k".repeat(256), tooLong), 400, "invalid_header");
    expectApiError(await createCustomer(admin.key, "", tooLong), 400, "invalid_header");
    expect(await customerRows(owner.teamId, tooLong.id)).toBe(0);

    const longest = `${crypto.randomUUID()}${"k".repeat(255 - 36)}`;
    const body = { id: uniqueId() };
    const first = await createCustomer(admin.key, longest, body);
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expectReplayOf(await createCustomer(admin.key, longest, body), first);
  });

  it("public POSTs validate the header too: a 256-character key on POST /v1/auth/signup → 400 invalid_header, no account", async () => {
    const email = `idem${crypto.randomUUID()}@example.com`;
    const password = "correct horse battery";
    const res = await call("POST", "/v1/auth/signup", {
      body: { email, password, team_name: "Idem" },
      headers: { "Idempotency-Key": "k".repeat(256) },
    });
    expectApiError(res, 400, "invalid_header");
    expectApiError(await call("POST", "/v1/auth/login", { body: { email, password } }), 401, "invalid_credentials");
  });

  it("GET ignores Idempotency-Key: no validation, no replay", async () => {
    const { owner, admin } = await newTeam();
    const invalid = await call("GET", "/v1/api-keys", { token: admin.key, headers: { "Idempotency-Key": "k".repeat(256) } });
    expect(invalid.status, JSON.stringify(invalid.body)).toBe(200);

    const key = idemKey();
    const first = await call("GET", "/v1/api-keys?limit=100", { token: admin.key, headers: { "Idempotency-Key": key } });
    expect(first.status).toBe(200);
    await createKey(owner.accessToken, { name: "between" });
    const second = await call("GET", "/v1/api-keys?limit=100", { token: admin.key, headers: { "Idempotency-Key": key } });
    expect(second.status).toBe(200);
    expect(second.headers.get("Idempotent-Replayed")).toBeNull();
    expect(second.body.data).toHaveLength(first.body.data.length + 1);
    // Nor does a GET reserve the key: a POST may use it afterwards.
    const post = await createCustomer(admin.key, key, { id: uniqueId() });
    expect(post.status, JSON.stringify(post.body)).toBe(201);
  });
});
