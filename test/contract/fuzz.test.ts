// "A malformed request never yields 500" (API.md §1), checked for every operation of the served OpenAPI document:
// seeded, bounded streams of malformed requests (wrong types, odd and huge strings, deep nesting, prototype keys,
// invalid JSON, wrong content types, garbage path, query and header values), with valid credentials and without.
// Every answer is below 500 and every 4xx has the one error shape, with a code the document lists for it.
import { exports } from "cloudflare:workers";
import fc from "fast-check";
import { describe, it } from "vitest";
import { ERROR_CODES } from "../../src/errors";
import { call, newTeam } from "../helpers/api";
import { createCampaign } from "../helpers/campaigns";
import { createVoucher } from "../helpers/vouchers";
import { type Components, fromSchema, type Hints, hostile, resolve, type Schema, weirdString } from "./arbitraries";

const BASE = "https://api.vauchflow.test";
const SEED = 20_261_122;
const RUNS_PER_OPERATION = 100;
const METHODS = ["get", "post", "put", "patch", "delete"] as const;

type Parameter = { name: string; in: "path" | "query" | "header"; schema?: Schema };
type Operation = {
  operationId: string;
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
};
type Document = { paths: Record<string, Partial<Record<(typeof METHODS)[number], Operation>>>; components: Components };

const doc = (await call<Document>("GET", "/openapi.json")).body;
const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
  METHODS.flatMap((method) => (item[method] ? [{ path, method, op: item[method] }] : [])),
);

/** What the fuzzer sends in place of a path parameter when it does not use a real resource. */
const RAW_SEGMENTS = ["%", "%zz", "%ED%A0%80", "%C0%AF", "%00", "..", ".", "%2e%2e", "a%2Fb", "%F0%9F%98%80", "~", "*", "%20"];
function encodeSegment(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    // A lone surrogate cannot be encoded: send its UTF-8 bytes as escapes instead (invalid UTF-8 on purpose).
    return "%ED%A0%80";
  }
}

type Fixtures = Awaited<ReturnType<typeof makeFixtures>>;

/** One team with one of each resource, so requests with real ids reach the services and objects. */
async function makeFixtures() {
  const team = await newTeam();
  const token = team.owner.accessToken;
  // Its own high limit, so the fuzzer's volume is never what it measures.
  const key = await call("POST", "/v1/api-keys", { token, body: { name: "fuzz", type: "secret", rate_limit_per_minute: 100_000 } });
  const target = await call("POST", "/v1/api-keys", { token, body: { name: "fuzz target", type: "secret", scopes: ["read"] } });
  const campaign = await createCampaign(team.admin.key, { currency: "EUR", budget_cap: { amount: 100_000 } });
  const voucher = await createVoucher(team.admin.key, { campaign_id: campaign.id, redemption_limit: 1000 });
  const customer = await call("POST", "/v1/customers", { token: team.admin.key, body: { id: "fuzz-customer" } });
  const job = await call("POST", "/v1/vouchers/bulk", { token: team.admin.key, body: { campaign_id: campaign.id, count: 2 } });
  const redemption = await call("POST", `/v1/vouchers/${voucher.code}/redeem`, { token: team.admin.key, body: { order: { id: "fuzz-order", amount: 5000 } } });
  for (const res of [key, target, customer, job, redemption]) if (res.status >= 300) throw new Error(`fixture: ${res.status} ${JSON.stringify(res.body)}`);
  const real: Record<string, Record<string, string>> = {
    vouchers: { code: voucher.code },
    campaigns: { id: campaign.id },
    "api-keys": { id: target.body.id },
    customers: { id: "fuzz-customer" },
    jobs: { id: job.body.id },
    teams: { id: team.owner.teamId, user_id: team.owner.userId },
  };
  const hints: Hints = {
    campaign_id: [campaign.id],
    customer_id: ["fuzz-customer"],
    id: ["fuzz-customer"],
    redemption_id: [redemption.body.id],
    code: [voucher.code],
    email: [team.owner.email],
  };
  return { key: key.body.key as string, userToken: token, teamId: team.owner.teamId, real, hints };
}

let fixtures: Promise<Fixtures> | undefined;

// Printable ASCII: the runtime warns on (and browsers refuse) anything else in a header.
const headerText = fc.string({ unit: "grapheme-ascii", maxLength: 60 });
const headerValue = fc.oneof(
  fc.constantFrom(
    "true",
    "false",
    "TRUE",
    "1",
    "",
    "agent=claude",
    "agent=claude;__proto__=x",
    "agent=claude;constructor=x",
    "toString=1",
    "agent=claude;hasOwnProperty=1",
    "agent=claude;client=a@1;prompt_fp=0a1b2c3d;conv=x",
    "x".repeat(300),
    "x".repeat(600),
  ),
  headerText,
);

/** Credentials that are not: right shapes that were never issued, wrong environments, forged and huge tokens. */
const b64 = (json: string) => btoa(json).replace(/=+$/, "");
const garbageToken = fc.oneof(
  headerText,
  fc.constantFrom(
    `vf_sk_test_${"A".repeat(32)}${"0".repeat(26)}`,
    `vf_sk_live_${"A".repeat(32)}${"0".repeat(26)}`,
    `vf_pk_test_${"A".repeat(32)}${"Z".repeat(26)}`,
    `${b64('{"alg":"none","typ":"JWT"}')}.${b64('{"sub":"usr_x","sid":"ses_x","typ":"access"}')}.`,
    `${b64('{"alg":"HS256"}')}.${b64("[]")}.${"A".repeat(43)}`,
    "a.b.c",
    "x".repeat(8000),
  ),
);

type Body = { text: string; contentType: string | null };
const JSON_TYPES = ["application/json", "application/json; charset=utf-8", "APPLICATION/JSON", "application/vnd.api+json", "application/json;charset=utf-16"];
const OTHER_TYPES = [null, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json, text/plain", "application/jsonx", "*/*", ";"];
/** Not JSON, or JSON no schema expects: nested about as deep as 1 MiB allows, under known and unknown fields. */
const RAW_BODIES = [
  "",
  "{",
  "}",
  '{"a":}',
  "{'a': 1}",
  "[1,]",
  "NaN",
  "\u0000",
  "\ufeff{}",
  '{"a": 1} trailing',
  "[".repeat(5000),
  '{"a":"\\ud800"}',
  '"unterminated',
  `${"[".repeat(250_000)}${"]".repeat(250_000)}`,
  `{"metadata":${"[".repeat(200_000)}${"]".repeat(200_000)}}`,
  `{"code":${'{"a":'.repeat(100_000)}1${"}".repeat(100_000)}}`,
  `{"name":"${"x".repeat(1_000_000)}"}`,
];

function bodyFor(op: Operation, method: string, hints: Hints): fc.Arbitrary<Body | null> {
  const schema = op.requestBody?.content["application/json"]?.schema;
  if (!schema) {
    // No body documented: a stray one must be ignored or refused, never crash (GET cannot carry one).
    if (method === "get") return fc.constant(null);
    return fc.option(hostile().map((v) => ({ text: JSON.stringify(v) ?? "null", contentType: "application/json" })), { freq: 3 });
  }
  const json = fromSchema(doc.components, schema, 0, hints);
  return fc.oneof(
    { arbitrary: fc.tuple(json, fc.constantFrom(...JSON_TYPES)).map(([v, contentType]) => ({ text: JSON.stringify(v) ?? "null", contentType })), weight: 6 },
    { arbitrary: fc.tuple(fc.constantFrom(...RAW_BODIES), fc.constantFrom(...JSON_TYPES)).map(([text, contentType]) => ({ text, contentType })), weight: 1 },
    { arbitrary: fc.tuple(json, fc.constantFrom(...OTHER_TYPES)).map(([v, contentType]) => ({ text: JSON.stringify(v) ?? "null", contentType })), weight: 1 },
    { arbitrary: hostile().map((v) => ({ text: JSON.stringify(v) ?? "null", contentType: "application/json" })), weight: 1 },
  );
}

type Credential = "none" | "key" | "user" | "garbage";

function requestFor(path: string, method: string, op: Operation, f: Fixtures) {
  const params = op.parameters ?? [];
  const resource = path.split("/")[2] ?? "";
  const pathParams = fc.record(
    Object.fromEntries(
      params
        .filter((p) => p.in === "path")
        .map((p) => [
          p.name,
          fc.oneof(
            { arbitrary: fc.constant<string | null>(null), weight: 5 }, // null: the real resource
            { arbitrary: weirdString.map(encodeSegment), weight: 2 },
            { arbitrary: fc.constantFrom(...RAW_SEGMENTS), weight: 1 },
          ),
        ]),
    ),
  );
  const queryParams = fc.array(
    fc.tuple(
      fc.oneof(fc.constantFrom(...params.filter((p) => p.in === "query").map((p) => p.name), "unknown_param", "__proto__"), weirdString),
      fc.oneof(fc.constantFrom("1", "0", "-1", "100", "101", "1e2", "0x10", "NaN", "", "csv", "json", "active"), weirdString),
    ),
    { maxLength: 4 },
  );
  // Odd headers now and then: each one refuses the request before its body is read.
  const headers = fc.oneof(
    { arbitrary: fc.constant<[string, string][]>([]), weight: 4 },
    { arbitrary: fc.array(fc.tuple(fc.constantFrom(...params.filter((p) => p.in === "header").map((p) => p.name), "X-Team-Id"), headerValue), { maxLength: 3 }), weight: 1 },
  );
  // A bulk job with a real campaign would generate up to 50,000 codes in the background per run.
  const hints = op.operationId === "createVouchersInBulk" ? {} : f.hints;
  return fc.record({
    credential: fc.constantFrom<Credential>("key", "key", "key", "key", "user", "none", "garbage"),
    garbageToken,
    pathParams,
    queryParams,
    headers,
    body: bodyFor(op, method, hints),
  }).map((r) => ({ ...r, resource }));
}

type FuzzRequest = ReturnType<typeof requestFor> extends fc.Arbitrary<infer T> ? T : never;

async function send(path: string, method: string, r: FuzzRequest, f: Fixtures) {
  const url = new URL(
    BASE + path.replace(/\{([^}]+)\}/g, (_, name: string) => r.pathParams[name] ?? encodeSegment(f.real[r.resource]?.[name] ?? "x")),
  );
  // Appended by hand: repeated names stay repeated, and odd characters stay as URLSearchParams encodes them.
  const search = new URLSearchParams();
  for (const [name, value] of r.queryParams) search.append(name, value);
  url.search = search.toString();
  const headers = new Headers();
  if (r.credential === "key") headers.set("Authorization", `Bearer ${f.key}`);
  if (r.credential === "user") {
    headers.set("Authorization", `Bearer ${f.userToken}`);
    headers.set("X-Team-Id", f.teamId);
  }
  if (r.credential === "garbage") headers.set("Authorization", `Bearer ${r.garbageToken}`);
  for (const [name, value] of r.headers) headers.set(name, value);
  let body: Uint8Array | undefined;
  if (r.body) {
    body = new TextEncoder().encode(r.body.text);
    if (r.body.contentType !== null) headers.set("Content-Type", r.body.contentType);
  }
  const res = await exports.default.fetch(new Request(url, { method: method.toUpperCase(), headers, body }));
  const text = await res.text();
  return { url: url.toString(), sentHeaders: headers, status: res.status, headers: res.headers, text };
}

const ERROR_FIELDS = new Set(["error", "message", "request_id", "details"]);
/** Top-level fields besides the four that API.md gives an error: voucher_not_eligible names its reason. */
const EXTRA_FIELDS: Record<string, string[]> = { voucher_not_eligible: ["reason"] };

/** The `error` values the document lists for this operation and status. */
function documentedCodes(op: Operation, status: number): string[] {
  const schema = op.responses[String(status)]?.content?.["application/json"]?.schema;
  if (!schema) return [];
  const s = resolve(doc.components, schema);
  const parts = s.allOf ? s.allOf.map((p) => resolve(doc.components, p)) : [s];
  return parts.flatMap((p) => (p.properties?.error ? (resolve(doc.components, p.properties.error).enum as string[] | undefined) ?? [] : []));
}

/** Whether the URL still names the operation: "." and ".." segments are resolved by the client, empty ones match no route. */
const addresses = (path: string, url: string) =>
  new RegExp(`^${path.replace(/\{[^}]+\}/g, "[^/]+")}$`).test(new URL(url).pathname);

/** Problems with an answer, empty when it keeps the contract. */
function problemsOf(op: Operation, status: number, headers: Headers, text: string, documented: boolean): string[] {
  if (status >= 500) return [`status ${status}`];
  if (status < 400) return [];
  const problems: string[] = [];
  if (!/^application\/json/.test(headers.get("Content-Type") ?? "")) problems.push(`Content-Type ${headers.get("Content-Type")}`);
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return [...problems, "body is not JSON"];
  }
  // The MCP endpoint speaks JSON-RPC: a malformed message is answered with a JSON-RPC error object (documented).
  if (op.operationId === "mcp" && body.jsonrpc === "2.0" && typeof body.error === "object" && body.error !== null) {
    const rpc = body.error as { code?: unknown; message?: unknown };
    if (typeof rpc.code !== "number" || typeof rpc.message !== "string") problems.push("malformed JSON-RPC error");
    return problems;
  }
  const code = String(body.error);
  const known = (ERROR_CODES as Record<string, { status: number }>)[code];
  if (!known) problems.push(`unknown error code ${code}`);
  else if (known.status !== status) problems.push(`${code} answered with ${status}, defined as ${known.status}`);
  if (known && documented && !documentedCodes(op, status).includes(code)) problems.push(`${code} is not documented for ${status} on ${op.operationId}`);
  const extra = Object.keys(body).filter((k) => !ERROR_FIELDS.has(k) && !(EXTRA_FIELDS[code] ?? []).includes(k));
  if (extra.length) problems.push(`extra fields ${extra.join(", ")}`);
  if (typeof body.message !== "string" || body.message.length === 0) problems.push("no message");
  if (typeof body.request_id !== "string" || !/^req_[0-9A-HJKMNP-TV-Z]{26}$/.test(body.request_id)) problems.push("no request_id");
  if (headers.get("Request-Id") !== body.request_id) problems.push("Request-Id header differs from request_id");
  if ("details" in body) {
    const details = body.details;
    const ok =
      Array.isArray(details) &&
      details.every(
        (d: unknown) =>
          typeof d === "object" && d !== null && Object.keys(d).sort().join() === "message,path" && typeof (d as { path: unknown }).path === "string" && typeof (d as { message: unknown }).message === "string",
      );
    if (!ok) problems.push("details is not [{path, message}]");
  }
  return problems;
}

const clip = (s: string, n = 400) => (s.length > n ? `${s.slice(0, n)}… (${s.length} chars)` : s);

describe("contract fuzz: malformed requests never answer 500, and every 4xx has the one error shape", () => {
  operations.forEach(({ path, method, op }, index) => {
    it(`${method.toUpperCase()} ${path} (${op.operationId})`, { timeout: 120_000 }, async () => {
      const f = await (fixtures ??= makeFixtures());
      await fc.assert(
        fc.asyncProperty(requestFor(path, method, op, f), async (r) => {
          const res = await send(path, method, r, f);
          const problems = problemsOf(op, res.status, res.headers, res.text, addresses(path, res.url));
          if (problems.length) {
            const sent = [...res.sentHeaders].filter(([k]) => k !== "authorization").map(([k, v]) => `${k}: ${clip(v, 80)}`);
            throw new Error(
              `${method.toUpperCase()} ${clip(res.url, 300)} [${r.credential}] ${sent.join("; ")}\n` +
                `body: ${r.body ? clip(r.body.text) : "(none)"}\n→ ${res.status} ${clip(res.text)}\n${problems.join("\n")}`,
            );
          }
        }),
        { seed: SEED + index, numRuns: RUNS_PER_OPERATION, endOnFailure: true },
      );
    });
  });
});
