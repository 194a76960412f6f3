// Strict input (API.md §1: "400 … unknown field"): every request body refuses fields it does not know, nested
// objects included, and keys that name parts of every JavaScript object never reach one.
import { describe, expect, it } from "vitest";
import { call, newTeam, type Answer } from "../helpers/api";
import { createCampaign } from "../helpers/campaigns";
import { expectApiError } from "../helpers/security";
import { createVoucher } from "../helpers/vouchers";
import { type Components, resolve, type Schema } from "./arbitraries";

const detailPaths = (res: Answer) => (res.body.details ?? []).map((d: { path: string }) => d.path);
/** Sent as text: a `__proto__` key in an object literal would set the prototype, not add a field. */
const raw = (token: string, method: string, path: string, rawBody: string) => call(method, path, { token, rawBody });
const notPolluted = () => expect(({} as Record<string, unknown>).polluted).toBeUndefined();

describe("PATCH refuses fields the resource does not have with 400; fields it has but cannot change stay 422", () => {
  it("PATCH /v1/vouchers/{code}", async () => {
    const { admin } = await newTeam();
    const v = await createVoucher(admin.key);
    const path = `/v1/vouchers/${v.code}`;
    for (const body of ['{"__proto__": {"active": false}}', '{"active": false, "__proto__": {"polluted": "yes"}}', '{"colour": "red"}', '{"dry_run": true}']) {
      const res = await raw(admin.key, "PATCH", path, body);
      expectApiError(res, 400, "invalid_request");
      expect(res.body.details.map((d: { message: string }) => d.message)).toContain("unknown field");
    }
    expect(detailPaths(await raw(admin.key, "PATCH", path, '{"__proto__": {}}'))).toEqual(["__proto__"]);
    expectApiError(await raw(admin.key, "PATCH", path, '{"code": "OTHER-CODE"}'), 422, "unsupported_field");
    expectApiError(await raw(admin.key, "PATCH", path, '{"redemptions_count": 0}'), 422, "unsupported_field");
    expect((await call("GET", path, { token: admin.key })).body).toEqual(v);
    notPolluted();
  });

  it("PATCH /v1/campaigns/{id}", async () => {
    const { admin } = await newTeam();
    const campaign = await createCampaign(admin.key);
    const path = `/v1/campaigns/${campaign.id}`;
    for (const body of ['{"__proto__": {"name": "Renamed"}}', '{"name": "Renamed", "constructor": {"prototype": {"polluted": "yes"}}}', '{"colour": "red"}']) {
      const res = await raw(admin.key, "PATCH", path, body);
      expectApiError(res, 400, "invalid_request");
    }
    // Nested objects the contract fixes are closed too.
    expect(detailPaths(await raw(admin.key, "PATCH", path, '{"budget_cap": {"amount": 10, "__proto__": {}}}'))).toEqual(["budget_cap.__proto__"]);
    expectApiError(await raw(admin.key, "PATCH", path, '{"status": "ended"}'), 422, "unsupported_field");
    expectApiError(await raw(admin.key, "PATCH", path, '{"stats": {}}'), 422, "unsupported_field");
    expect((await call("GET", path, { token: admin.key })).body).toMatchObject({ name: campaign.name, updated_at: campaign.updated_at });
    notPolluted();
  });
});

describe("metadata stays a free string map, but never under keys every object has", () => {
  const creates: [string, string, (campaignId: string) => Record<string, unknown>][] = [
    ["POST", "/v1/vouchers", () => ({ discount: { type: "percent", percent_off: 10 } })],
    ["POST", "/v1/campaigns", () => ({ name: "M", discount: { type: "percent", percent_off: 10 } })],
    ["POST", "/v1/customers", () => ({ id: `cus-${crypto.randomUUID()}` })],
  ];

  for (const [method, path, body] of creates) {
    it(`${method} ${path}: __proto__, constructor and prototype keys → 400 naming the key; other keys are kept`, async () => {
      const { admin } = await newTeam();
      for (const key of ["__proto__", "constructor", "prototype"]) {
        const text = JSON.stringify({ ...body(""), metadata: { ok: "yes" } }).replace('"ok":"yes"', `"ok":"yes","${key}":"x"`);
        const res = await raw(admin.key, method, path, text);
        expectApiError(res, 400, "invalid_request");
        expect(res.body.details).toContainEqual({ path: `metadata.${key}`, message: "reserved key" });
      }
      const poisoned = JSON.stringify({ ...body(""), metadata: {} }).replace('"metadata":{}', '"metadata":{"__proto__":{"polluted":"yes"}}');
      expectApiError(await raw(admin.key, method, path, poisoned), 400, "invalid_request");
      const ok = await call(method, path, { token: admin.key, body: { ...body(""), metadata: { proto: "a", "__proto": "b", toString: "c" } } });
      expect(ok.status, JSON.stringify(ok.body)).toBe(201);
      expect(ok.body.metadata).toEqual({ proto: "a", __proto: "b", toString: "c" });
      notPolluted();
    });
  }

  it("PATCH /v1/vouchers/{code} metadata: the same keys → 400, and the voucher keeps its metadata", async () => {
    const { admin } = await newTeam();
    const v = await createVoucher(admin.key, { metadata: { segment: "vip" } });
    for (const key of ["__proto__", "constructor", "prototype"]) {
      const res = await raw(admin.key, "PATCH", `/v1/vouchers/${v.code}`, `{"metadata": {"${key}": "x"}}`);
      expectApiError(res, 400, "invalid_request");
      expect(detailPaths(res)).toEqual([`metadata.${key}`]);
    }
    expect((await call("GET", `/v1/vouchers/${v.code}`, { token: admin.key })).body.metadata).toEqual({ segment: "vip" });
  });
});

describe("every request body in the document is closed", () => {
  it("each object schema of a request body says additionalProperties: false, except the metadata map", async () => {
    const doc = (await call("GET", "/openapi.json")).body as { paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: Schema }> } }>>; components: Components };
    const open: string[] = [];
    const visit = (schema: Schema, where: string, depth: number) => {
      const s = resolve(doc.components, schema);
      if (depth > 20) return;
      if (s.properties) {
        if (s.additionalProperties !== false) open.push(where);
        for (const [key, prop] of Object.entries(s.properties)) visit(prop, `${where}.${key}`, depth + 1);
      } else if (typeof s.additionalProperties === "object") {
        // A free map: its values must be closed in turn (metadata's are strings).
        visit(s.additionalProperties, `${where}.*`, depth + 1);
      }
      for (const part of [...(s.anyOf ?? []), ...(s.oneOf ?? []), ...(s.allOf ?? [])]) visit(part, where, depth + 1);
      if (s.items) visit(s.items, `${where}[]`, depth + 1);
    };
    let bodies = 0;
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const schema = op.requestBody?.content["application/json"]?.schema;
        // A JSON-RPC message is open by its own protocol (params differ per method); the SDK validates it.
        if (!schema || path === "/v1/mcp") continue;
        bodies++;
        visit(schema, `${method} ${path}`, 0);
      }
    }
    expect(bodies).toBeGreaterThan(15);
    expect(open).toEqual([]);
  });
});
