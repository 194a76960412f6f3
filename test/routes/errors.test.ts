// The one error pipeline (API.md §1 "Errors") and the OpenAPI document derived from the same codes.
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { buildApp, MAX_BODY_BYTES } from "../../src/app";
import { SCALAR_BUNDLE } from "../../src/dashboard/docs";
import { ERROR_CODES } from "../../src/errors";
import { call, expectError, signUp, uniqueEmail, type Answer } from "../helpers/api";

const BASE = "https://api.vauchflow.test";

/** An error in the one shape, whose Request-Id header is the body's request_id. */
function expectPipelineError(res: Answer, status: number, code: string) {
  expectError(res, status, code);
  expect(res.headers.get("Request-Id")).toBe(res.body.request_id);
  expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
  expect(typeof res.body.message).toBe("string");
  expect(res.body.message.length).toBeGreaterThan(0);
  const allowed = ["error", "message", "request_id", "details"];
  expect(Object.keys(res.body).filter((k) => !allowed.includes(k))).toEqual([]);
  if ("details" in res.body) {
    expect(Array.isArray(res.body.details)).toBe(true);
    for (const d of res.body.details) {
      expect(Object.keys(d).sort()).toEqual(["message", "path"]);
      expect(typeof d.path).toBe("string");
      expect(typeof d.message).toBe("string");
    }
  }
}

const detailPaths = (res: Answer) => (res.body.details ?? []).map((d: { path: string }) => d.path);

async function answer(res: Response): Promise<Answer> {
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // leave as text
  }
  return { status: res.status, body, headers: res.headers };
}

/** A request with a body of `size` bytes of valid JSON (padded with spaces) for a login. */
function paddedLoginBody(size: number) {
  const json = JSON.stringify({ email: uniqueEmail(), password: "whatever password" });
  return json + " ".repeat(size - json.length);
}

/** A body delivered as a stream of chunks, so no Content-Length is known up front. */
function streamOf(text: string, chunkSize = 64 * 1024) {
  const bytes = new TextEncoder().encode(text);
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + chunkSize));
      offset += chunkSize;
    },
  });
}

async function streamed(path: string, text: string, headers: Record<string, string> = {}) {
  const req = new Request(`${BASE}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: streamOf(text),
    // @ts-expect-error duplex is required by some runtimes for streamed request bodies
    duplex: "half",
  });
  expect(req.headers.has("Content-Length")).toBe(false);
  return answer(await exports.default.fetch(req));
}

describe("malformed requests", () => {
  it("malformed JSON → 400 invalid_json (public and authenticated routes)", async () => {
    expectPipelineError(await call("POST", "/v1/auth/login", { rawBody: '{"email": "a@b.co", ' }), 400, "invalid_json");
    const account = await signUp();
    expectPipelineError(
      await call("POST", "/v1/teams", { token: account.accessToken, rawBody: "{name: 'unquoted'}" }),
      400,
      "invalid_json",
    );
  });

  it("wrong types → 400 invalid_request with details [{path, message}] for each field", async () => {
    const res = await call("POST", "/v1/auth/signup", { body: { email: 42, password: true, team_name: ["x"] } });
    expectPipelineError(res, 400, "invalid_request");
    expect(detailPaths(res)).toEqual(expect.arrayContaining(["email", "password", "team_name"]));
    for (const d of res.body.details) expect(d.message.length).toBeGreaterThan(0);
  });

  it("nested paths are dotted", async () => {
    const account = await signUp();
    const res = await call("POST", "/v1/api-keys", {
      token: account.accessToken,
      body: { name: "k", type: "secret", scopes: ["read", 7] },
    });
    expectPipelineError(res, 400, "invalid_request");
    expect(detailPaths(res)).toContain("scopes.1");
  });

  it("a missing required field is named", async () => {
    const res = await call("POST", "/v1/auth/signup", { body: { email: uniqueEmail(), password: "long enough password" } });
    expectPipelineError(res, 400, "invalid_request");
    expect(detailPaths(res)).toContain("team_name");
  });

  it("unknown JSON fields → 400 naming each field", async () => {
    const account = await signUp();
    const res = await call("POST", "/v1/teams", { token: account.accessToken, body: { name: "Ok", colour: "red", plan: "pro" } });
    expectPipelineError(res, 400, "invalid_request");
    expect(detailPaths(res)).toEqual(expect.arrayContaining(["colour", "plan"]));
    const login = await call("POST", "/v1/auth/login", { body: { email: uniqueEmail(), password: "x", remember_me: true } });
    expectPipelineError(login, 400, "invalid_request");
    expect(detailPaths(login)).toContain("remember_me");
  });

  it("a JSON body that is not an object → 400 invalid_request", async () => {
    for (const rawBody of ["[]", '"text"', "42", "null"]) {
      const res = await call("POST", "/v1/auth/login", { rawBody });
      expectPipelineError(res, 400, "invalid_request");
    }
  });

  it("a bad query parameter → 400 invalid_request naming it", async () => {
    const account = await signUp();
    const res = await call("GET", "/v1/api-keys?limit=1000", { token: account.accessToken });
    expectPipelineError(res, 400, "invalid_request");
    expect(detailPaths(res)).toContain("limit");
  });

  it("a body without a JSON Content-Type is refused with a 400, never a 500", async () => {
    const res = await call("POST", "/v1/auth/login", {
      rawBody: JSON.stringify({ email: uniqueEmail(), password: "whatever password" }),
      headers: { "Content-Type": "text/plain" },
    });
    expect(res.status).toBe(400);
    expect(["invalid_request", "invalid_json", "invalid_header"]).toContain(res.body.error);
    expect(res.headers.get("Request-Id")).toBe(res.body.request_id);
  });
});

describe("body size limit (1 MiB)", () => {
  it("a body over 1 MiB with Content-Length → 413 payload_too_large", async () => {
    const rawBody = paddedLoginBody(MAX_BODY_BYTES + 1);
    expect(new TextEncoder().encode(rawBody).length).toBe(MAX_BODY_BYTES + 1);
    const req = new Request(`${BASE}/v1/auth/login`, { method: "POST", headers: { "Content-Type": "application/json" }, body: rawBody });
    expect(req.headers.get("Content-Length") ?? String(MAX_BODY_BYTES + 1)).toBe(String(MAX_BODY_BYTES + 1));
    const res = await answer(await exports.default.fetch(req));
    expectPipelineError(res, 413, "payload_too_large");
  });

  it("a body over 1 MiB is refused on an authenticated route too", async () => {
    const account = await signUp();
    const res = await call("POST", "/v1/teams", {
      token: account.accessToken,
      rawBody: JSON.stringify({ name: "x".repeat(MAX_BODY_BYTES) }),
    });
    expectPipelineError(res, 413, "payload_too_large");
    // Nothing was created.
    const me = await call("GET", "/v1/auth/me", { token: account.accessToken });
    expect(me.body.teams).toHaveLength(1);
  });

  it("a body of exactly 1 MiB is accepted and parsed", async () => {
    const res = await call("POST", "/v1/auth/login", { rawBody: paddedLoginBody(MAX_BODY_BYTES) });
    expectPipelineError(res, 401, "invalid_credentials");
  });

  it("a streamed (chunked) body over 1 MiB → 413 payload_too_large", async () => {
    const res = await streamed("/v1/auth/login", paddedLoginBody(MAX_BODY_BYTES + 1));
    expectPipelineError(res, 413, "payload_too_large");
    const huge = await streamed("/v1/auth/login", paddedLoginBody(3 * MAX_BODY_BYTES));
    expectPipelineError(huge, 413, "payload_too_large");
  });

  it("a streamed body within the limit is still parsed", async () => {
    const res = await streamed("/v1/auth/login", paddedLoginBody(MAX_BODY_BYTES));
    expectPipelineError(res, 401, "invalid_credentials");
    const small = await streamed("/v1/auth/login", "{not json");
    expectPipelineError(small, 400, "invalid_json");
  });
});

describe("unknown routes and authentication failures", () => {
  it("an unknown route → 404 not_found", async () => {
    expectPipelineError(await call("GET", "/nope"), 404, "not_found");
    expectPipelineError(await call("GET", "/v2/vouchers"), 404, "not_found");
    const account = await signUp();
    expectPipelineError(await call("GET", "/v1/definitely-not-a-route", { token: account.accessToken }), 404, "not_found");
  });

  it("a missing or unknown credential → 401 invalid_api_key", async () => {
    expectPipelineError(await call("GET", "/v1/api-keys"), 401, "invalid_api_key");
    expectPipelineError(await call("GET", "/v1/api-keys", { token: "vf_sk_test_notarealkeyatall" }), 401, "invalid_api_key");
    expectPipelineError(await call("GET", "/v1/api-keys", { token: "not.a.jwt" }), 401, "invalid_api_key");
    expectPipelineError(await call("GET", "/v1/api-keys", { headers: { "X-API-Key": "vf_sk_test_bogus" } }), 401, "invalid_api_key");
  });
});

describe("unexpected exceptions", () => {
  async function throwing() {
    const app = buildApp();
    app.get("/test-only/throws", () => {
      throw new Error("SECRET database password is hunter2");
    });
    app.get("/test-only/rejects", async () => {
      await Promise.resolve();
      throw new TypeError("SECRET cannot read properties of undefined");
    });
    app.get("/test-only/throws-string", () => {
      throw "SECRET string thrown";
    });
    return app;
  }

  async function get(app: Awaited<ReturnType<typeof throwing>>, path: string) {
    const ctx = createExecutionContext();
    // An exception that escapes the app entirely becomes the runtime's bare 500: no shape, no Request-Id.
    const raw = await Promise.resolve(app.request(path, { method: "GET" }, env, ctx)).catch(
      (err: unknown) => new Response(`escaped the error pipeline: ${typeof err}`, { status: 500 }),
    );
    await waitOnExecutionContext(ctx);
    return answer(raw);
  }

  function expectOpaque500(res: Answer) {
    expectPipelineError(res, 500, "internal_error");
    expect(res.body.message).toBe(ERROR_CODES.internal_error.message);
    const text = JSON.stringify(res.body);
    expect(text).not.toContain("SECRET");
    expect(text).not.toContain("hunter2");
    expect(text).not.toMatch(/\bat .*\(|\.ts:\d+|stack/i);
    expect(res.body).not.toHaveProperty("details");
  }

  it("a thrown Error → 500 internal_error without stack or message", async () => {
    const app = await throwing();
    expectOpaque500(await get(app, "/test-only/throws"));
  });

  it("a rejected async handler → 500 internal_error without stack or message", async () => {
    const app = await throwing();
    expectOpaque500(await get(app, "/test-only/rejects"));
  });

  it("a thrown non-Error value → 500 internal_error in the same shape", async () => {
    const app = await throwing();
    expectOpaque500(await get(app, "/test-only/throws-string"));
  });

  it("the app keeps answering normally after an exception", async () => {
    const app = await throwing();
    await get(app, "/test-only/throws");
    const ctx = createExecutionContext();
    const res = await answer(await app.request("/health", {}, env, ctx));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: "ok" });
  });
});

describe("GET /openapi.json", () => {
  type Operation = { responses?: Record<string, any>; requestBody?: unknown; security?: unknown[]; parameters?: any[] };
  const METHODS = ["get", "post", "put", "patch", "delete"] as const;

  async function document() {
    const res = await call("GET", "/openapi.json");
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
    expect(res.headers.get("Request-Id")).toMatch(/^req_/);
    return res.body as { openapi: string; paths: Record<string, Record<string, Operation>>; components: any };
  }

  function operations(doc: Awaited<ReturnType<typeof document>>) {
    const out: { path: string; method: string; op: Operation }[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of METHODS) if (item[method]) out.push({ path, method, op: item[method]! });
    }
    return out;
  }

  /** Resolves $ref and merges allOf, enough to read an error schema's `error` enum. */
  function resolve(doc: any, schema: any): any {
    if (!schema) return schema;
    if (schema.$ref) {
      const name = String(schema.$ref).replace("#/components/schemas/", "");
      return resolve(doc, doc.components.schemas[name]);
    }
    if (schema.allOf) {
      const parts = schema.allOf.map((s: any) => resolve(doc, s));
      return { ...schema, properties: Object.assign({}, ...parts.map((p: any) => p.properties ?? {})) };
    }
    return schema;
  }

  function errorCodesOf(doc: any, response: any): string[] {
    const schema = resolve(doc, response?.content?.["application/json"]?.schema);
    const errorProp = resolve(doc, schema?.properties?.error);
    return errorProp?.enum ?? [];
  }

  it("is OpenAPI 3.1", async () => {
    const doc = await document();
    expect(doc.openapi).toMatch(/^3\.1\./);
  });

  it("lists every path and method the app routes", async () => {
    const doc = await document();
    for (const path of [
      "/health",
      "/v1/auth/signup",
      "/v1/auth/login",
      "/v1/auth/refresh",
      "/v1/auth/logout",
      "/v1/auth/me",
      "/v1/teams",
      "/v1/teams/{id}/members",
      "/v1/teams/{id}/members/{user_id}",
      "/v1/api-keys",
      "/v1/api-keys/agent",
      "/v1/api-keys/{id}",
      "/v1/api-keys/{id}/rotate",
    ]) {
      expect(doc.paths, path).toHaveProperty([path]);
    }
    // Derived from the app itself: every concrete route (not middleware, not the docs themselves, not CORS preflight,
    // not the dashboard's pages, which are a UI over the API rather than part of it).
    const undocumented = new Set(["/openapi.json", "/docs"]);
    const routed = buildApp()
      .routes.filter((r) => r.method !== "ALL" && r.method !== "OPTIONS" && !undocumented.has(r.path) && !r.path.startsWith("/dashboard"))
      .map((r) => ({ method: r.method.toLowerCase(), path: r.path.replace(/:([A-Za-z0-9_]+)/g, "{$1}") }));
    expect(routed.length).toBeGreaterThan(10);
    const missing = routed.filter((r) => !doc.paths[r.path]?.[r.method as (typeof METHODS)[number]]);
    expect(missing).toEqual([]);
  });

  it("every operation has a unique camelCase operationId (SDK method names) and declares its security", async () => {
    const doc = await document();
    const ids = operations(doc).map(({ op }) => (op as { operationId?: string }).operationId);
    expect(ids.filter((id) => !/^[a-z][A-Za-z0-9]+$/.test(id ?? ""))).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
    const undeclared = operations(doc).filter(({ op }) => !Array.isArray(op.security));
    expect(undeclared.map(({ method, path }) => `${method} ${path}`)).toEqual([]);
    // Public means an explicit empty list, and only where API.md says no credential is needed.
    const pub = operations(doc).filter(({ op }) => op.security?.length === 0).map(({ method, path }) => `${method} ${path}`);
    expect(pub.sort()).toEqual(["get /health", "post /v1/auth/login", "post /v1/auth/refresh", "post /v1/auth/signup"]);
  });

  it("every write an agent key can make documents the 202 it answers when held for approval (API.md §8)", async () => {
    const doc = await document();
    // Every operation of the approval policy: a team may hold any of them.
    const writes = [
      ["post", "/v1/vouchers"],
      ["patch", "/v1/vouchers/{code}"],
      ["post", "/v1/vouchers/bulk"],
      ["post", "/v1/vouchers/{code}/validate"],
      ["post", "/v1/vouchers/{code}/redeem"],
      ["post", "/v1/vouchers/{code}/rollback"],
      ["post", "/v1/vouchers/{code}/reserve"],
      ["delete", "/v1/vouchers/{code}/reservations/{id}"],
      ["post", "/v1/campaigns"],
      ["patch", "/v1/campaigns/{id}"],
      ["post", "/v1/campaigns/{id}/pause"],
      ["post", "/v1/customers"],
      ["delete", "/v1/customers/{id}"],
      ["post", "/v1/webhooks"],
      ["patch", "/v1/webhooks/{id}"],
      ["delete", "/v1/webhooks/{id}"],
      ["post", "/v1/webhooks/{id}/rotate-secret"],
      ["post", "/v1/webhooks/{id}/test"],
      ["post", "/v1/webhooks/{id}/deliveries/{delivery_id}/retry"],
    ] as const;
    const held = (schema: any): boolean => {
      const s = resolve(doc, schema);
      return Boolean(s?.properties?.approval_id) || (s?.anyOf ?? s?.oneOf ?? []).some(held);
    };
    const undocumented = writes.filter(([method, path]) => !held(doc.paths[path]?.[method]?.responses?.["202"]?.content?.["application/json"]?.schema));
    expect(undocumented.map(([method, path]) => `${method} ${path}`)).toEqual([]);
    const approval = resolve(doc, doc.components.schemas.ApprovalQueued);
    expect(Object.keys(approval.properties).sort()).toEqual(["approval_id", "expires_at", "status"]);
    // What 202 meant before stays: the job, the queued event, the queued delivery.
    const bulk = doc.paths["/v1/vouchers/bulk"]!.post!.responses!["202"].content["application/json"].schema;
    expect(bulk.anyOf.map((s: any) => s.$ref)).toEqual(["#/components/schemas/Job", "#/components/schemas/ApprovalQueued"]);
  });

  it("every error response lists only codes from ERROR_CODES under their own status", async () => {
    const doc = await document();
    const known = ERROR_CODES as Record<string, { status: number }>;
    let checked = 0;
    for (const { path, method, op } of operations(doc)) {
      for (const [status, response] of Object.entries(op.responses ?? {})) {
        if (Number(status) < 400) continue;
        const codes = errorCodesOf(doc, response);
        expect(codes.length, `${method} ${path} ${status} lists no error codes`).toBeGreaterThan(0);
        for (const code of codes) {
          expect(known[code], `${method} ${path} ${status}: unknown code ${code}`).toBeDefined();
          expect(known[code]!.status, `${method} ${path}: ${code} listed under ${status}`).toBe(Number(status));
        }
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(20);
  });

  it("every /v1 operation documents the errors the pipeline can always produce", async () => {
    const doc = await document();
    for (const { path, method, op } of operations(doc)) {
      if (!path.startsWith("/v1/")) continue;
      const codesAt = (status: number) => errorCodesOf(doc, op.responses?.[String(status)]);
      const where = `${method} ${path}`;
      expect(codesAt(500), where).toContain("internal_error");
      // The MCP endpoint answers a malformed JSON-RPC body with a JSON-RPC error object (said in its 400 description).
      if (op.requestBody && path !== "/v1/mcp") {
        expect(codesAt(400), where).toEqual(expect.arrayContaining(["invalid_request", "invalid_json"]));
        expect(codesAt(413), where).toContain("payload_too_large");
      }
      if (op.security?.length) expect(codesAt(401), where).toContain("invalid_api_key");
      // A route that names a resource answers 404 for an unknown one: not_found, or the resource's own code.
      if (path.includes("{")) expect(codesAt(404).some((code: string) => code.endsWith("not_found")), where).toBe(true);
    }
  });

  it("every operation documents what the shared pipeline answers: headers, rate limit, idempotency", async () => {
    const doc = await document();
    for (const { path, method, op } of operations(doc)) {
      const codesAt = (status: number) => errorCodesOf(doc, op.responses?.[String(status)]);
      const headers = (op.parameters ?? []).filter((p) => p.in === "header").map((p) => p.name);
      const where = `${method} ${path}`;
      expect(codesAt(400), where).toContain("invalid_header");
      expect(headers, where).toContain("Vauchflow-Dry-Run");
      if (!path.startsWith("/v1/")) continue;
      expect(codesAt(400), where).toContain("invalid_agent_context");
      expect(headers, where).toContain("Vauchflow-Agent-Context");
      if (op.security?.length) expect(codesAt(429), where).toContain("rate_limit_exceeded");
      // POST /v1/mcp refuses the header (400 invalid_header): its tools take an idempotency_key argument instead.
      if ((method === "post" || method === "patch") && path !== "/v1/mcp") {
        expect(codesAt(422), where).toContain("idempotency_key_mismatch");
        expect(codesAt(409), where).toContain("idempotency_key_in_use");
        expect(headers, where).toContain("Idempotency-Key");
      }
    }
    expect(errorCodesOf(doc, doc.paths["/v1/api-keys"]!.post!.responses?.["400"])).toContain("dry_run_not_supported");
    expect(errorCodesOf(doc, doc.paths["/v1/customers"]!.post!.responses?.["400"])).not.toContain("dry_run_not_supported");
  });

  it("every operation documents the headers the shared pipeline adds and reads: Request-Id, rate limits, X-Team-Id, replays", async () => {
    const doc = await document();
    let checked = 0;
    for (const { path, method, op } of operations(doc)) {
      const authenticated = Boolean(op.security?.length);
      const idempotent = (method === "post" || method === "patch") && path.startsWith("/v1/") && path !== "/v1/mcp";
      const where = `${method} ${path}`;
      // API.md §2: X-Team-Id picks the team of a user in several teams (a key may send only its own).
      const params = (op.parameters ?? []).filter((p) => p.in === "header").map((p) => p.name);
      if (authenticated) expect(params, where).toContain("X-Team-Id");
      else expect(params, where).not.toContain("X-Team-Id");
      for (const [status, response] of Object.entries(op.responses ?? {})) {
        const headers = Object.keys(response.headers ?? {});
        const at = `${where} ${status}`;
        // API.md §1: every response carries Request-Id.
        expect(headers, at).toContain("Request-Id");
        // API.md §4: every authenticated answer carries the rate limit; a 429 says when to retry.
        if (authenticated && status !== "401") expect(headers, at).toEqual(expect.arrayContaining(["RateLimit-Policy", "RateLimit"]));
        if (status === "429") expect(headers, at).toContain("Retry-After");
        // API.md §3: a replayed answer is marked.
        if (idempotent && Number(status) < 300) expect(headers, at).toContain("Idempotent-Replayed");
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(100);
    expect(Object.keys(doc.paths["/v1/auth/login"]!.post!.responses!["429"].headers)).toContain("Retry-After");
  });

  it("GET /health answers its one documented client error: a malformed Vauchflow-Dry-Run", async () => {
    expectPipelineError(await call("GET", "/health", { headers: { "Vauchflow-Dry-Run": "maybe" } }), 400, "invalid_header");
    const doc = await document();
    expect(errorCodesOf(doc, doc.paths["/health"]!.get!.responses?.["400"])).toEqual(["invalid_header"]);
  });

  it("documents the codes these routes answer with", async () => {
    const doc = await document();
    const expectations: [string, string, number, string][] = [
      ["/v1/auth/signup", "post", 403, "signup_disabled"],
      ["/v1/auth/signup", "post", 409, "email_taken"],
      ["/v1/auth/login", "post", 401, "invalid_credentials"],
      ["/v1/auth/refresh", "post", 401, "invalid_refresh_token"],
      ["/v1/api-keys", "get", 400, "team_required"],
      ["/v1/api-keys", "post", 403, "insufficient_role"],
      ["/v1/api-keys", "get", 403, "team_access_denied"],
      ["/v1/teams/{id}/members", "post", 409, "already_member"],
      ["/v1/teams/{id}/members/{user_id}", "delete", 409, "last_owner"],
      ["/v1/api-keys/{id}/rotate", "post", 422, "unsupported_operation"],
    ];
    for (const [path, method, status, code] of expectations) {
      const op = doc.paths[path]?.[method as (typeof METHODS)[number]];
      expect(op, `${method} ${path}`).toBeDefined();
      expect(errorCodesOf(doc, op!.responses?.[String(status)]), `${method} ${path} ${status}`).toContain(code);
    }
  });

  it("the request schemas come from the validating zod schemas (unknown fields closed)", async () => {
    const doc = await document();
    const body = resolve(doc, (doc.paths["/v1/auth/signup"]!.post!.requestBody as any).content["application/json"].schema);
    expect(Object.keys(body.properties).sort()).toEqual(["email", "password", "team_name"]);
    expect(body.required).toEqual(expect.arrayContaining(["email", "password", "team_name"]));
    expect(body.additionalProperties).toBe(false);
    expect(body.properties.password.minLength).toBe(10);
  });
});

describe("GET /docs", () => {
  it("serves an HTML reference page pointing at the OpenAPI document", async () => {
    const res = await call("GET", "/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^text\/html/);
    expect(res.headers.get("Request-Id")).toMatch(/^req_/);
    expect(typeof res.body).toBe("string");
    expect(res.body).toMatch(/<html/i);
    expect(res.body).toContain("/openapi.json");
  });

  it("loads the docs UI from this worker only: no CDN, a CSP without third-party origins", async () => {
    const res = await call("GET", "/docs");
    const scripts = [...String(res.body).matchAll(/<script[^>]*\ssrc="([^"]+)"/g)].map((m) => m[1]);
    expect(scripts).toEqual([SCALAR_BUNDLE, "/assets/docs.js"]);
    expect(String(res.body)).not.toMatch(/https?:\/\//);
    const csp = res.headers.get("Content-Security-Policy") ?? "";
    expect(csp).toContain("default-src 'none'; script-src 'self';");
    expect(csp).toContain("connect-src 'self';");
    expect(csp).not.toMatch(/https?:|\*|unsafe-eval/);
    // Inline styles only (Scalar writes style attributes): never inline script.
    expect(csp.match(/unsafe-inline/g)).toHaveLength(1);
    expect(csp).toContain("style-src 'self' 'unsafe-inline';");
  });

  it("is not in the OpenAPI document, and neither is the dashboard", async () => {
    const doc = (await call("GET", "/openapi.json")).body;
    expect(Object.keys(doc.paths).filter((p) => p.startsWith("/docs") || p.startsWith("/dashboard"))).toEqual([]);
  });
});
