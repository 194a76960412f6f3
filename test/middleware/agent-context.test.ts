// API.md §3, Vauchflow-Agent-Context: agent=<id>;client=<name@version>;prompt_fp=<8hex>;conv=<id>, at most 512
// bytes, agent one of claude, chatgpt, gemini, copilot, cursor, windsurf, custom. Malformed or too long → 400
// invalid_agent_context. Recorded on the audit entry.
import { describe, expect, it } from "vitest";
import { call, newTeam } from "../helpers/api";
import { expectApiError } from "../helpers/security";
import { customerRows, requestIdOf, uniqueId, waitForAudit } from "../helpers/guarantees";

const WELL_FORMED = "agent=claude;client=claude-code@1.2.3;prompt_fp=0a1b2c3d;conv=abc-123";
const bytes = (s: string) => new TextEncoder().encode(s).byteLength;

/** A well-formed header of exactly `size` bytes: full fields, padded with the optional space after each ';'. */
function headerOfSize(size: number): string {
  const conv = "c".repeat(100);
  const fields = ["agent=custom", "client=vauchflow-test-client@10.20.30", "prompt_fp=deadbeef", `conv=${conv}`];
  const bare = fields.join(";");
  const pad = size - bytes(bare);
  if (pad < 0) throw new Error("size too small");
  // Spread the padding over the three separators.
  const each = [Math.floor(pad / 3), Math.floor(pad / 3), pad - 2 * Math.floor(pad / 3)];
  const header = fields.reduce((acc, field, i) => (i === 0 ? field : `${acc};${" ".repeat(each[i - 1] as number)}${field}`), "");
  expect(bytes(header)).toBe(size);
  return header;
}

const MALFORMED: [string, string][] = [
  ["unknown agent", "agent=hal9000;client=claude-code@1.2.3;prompt_fp=0a1b2c3d;conv=abc-123"],
  ["agent in upper case", "agent=Claude;client=claude-code@1.2.3;prompt_fp=0a1b2c3d;conv=abc-123"],
  ["empty agent", "agent=;client=claude-code@1.2.3;prompt_fp=0a1b2c3d;conv=abc-123"],
  ["prompt_fp upper-case hex", "agent=claude;client=claude-code@1.2.3;prompt_fp=0A1B2C3D;conv=abc-123"],
  ["prompt_fp of 7 hex", "agent=claude;client=claude-code@1.2.3;prompt_fp=0a1b2c3;conv=abc-123"],
  ["prompt_fp of 9 hex", "agent=claude;client=claude-code@1.2.3;prompt_fp=0a1b2c3d4;conv=abc-123"],
  ["prompt_fp not hex", "agent=claude;client=claude-code@1.2.3;prompt_fp=0a1b2c3g;conv=abc-123"],
  ["client without @version", "agent=claude;client=claude-code;prompt_fp=0a1b2c3d;conv=abc-123"],
  ["unknown field", "agent=claude;client=claude-code@1.2.3;prompt_fp=0a1b2c3d;conv=abc-123;mood=happy"],
  ["missing agent", "client=claude-code@1.2.3;prompt_fp=0a1b2c3d;conv=abc-123"],
  ["duplicated agent", "agent=claude;agent=cursor;client=claude-code@1.2.3;prompt_fp=0a1b2c3d;conv=abc-123"],
  ["duplicated conv", "agent=claude;client=claude-code@1.2.3;prompt_fp=0a1b2c3d;conv=abc-123;conv=abc-123"],
  ["not key=value", "agent=claude;client=claude-code@1.2.3;prompt_fp;conv=abc-123"],
  ["a bare word", "claude"],
  ["no key", "=claude"],
  ["JSON instead", '{"agent":"claude"}'],
];

describe("Vauchflow-Agent-Context (API.md §3)", () => {
  it("a well-formed header is accepted and recorded, parsed, on the audit entry", async () => {
    const { owner, admin } = await newTeam();
    const res = await call("POST", "/v1/customers", {
      token: admin.key,
      body: { id: uniqueId() },
      headers: { "Vauchflow-Agent-Context": WELL_FORMED },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const id = requestIdOf(res);
    const entry = (await waitForAudit(owner.accessToken, admin.id, [id])).find((e) => e.request_id === id);
    expect(entry?.agent_context).toEqual({ agent: "claude", client: "claude-code@1.2.3", prompt_fp: "0a1b2c3d", conv: "abc-123" });
  });

  it("every listed agent is accepted", async () => {
    const { admin } = await newTeam();
    for (const agent of ["claude", "chatgpt", "gemini", "copilot", "cursor", "windsurf", "custom"]) {
      const header = `agent=${agent};client=tool@0.1.0;prompt_fp=89abcdef;conv=c-1`;
      const res = await call("GET", "/v1/api-keys?limit=1", { token: admin.key, headers: { "Vauchflow-Agent-Context": header } });
      expect(res.status, `${agent}: ${JSON.stringify(res.body)}`).toBe(200);
    }
  });

  for (const [what, header] of MALFORMED) {
    it(`${what} → 400 invalid_agent_context, and the request does not run`, async () => {
      const { owner, admin } = await newTeam();
      const body = { id: uniqueId() };
      const res = await call("POST", "/v1/customers", { token: admin.key, body, headers: { "Vauchflow-Agent-Context": header } });
      expectApiError(res, 400, "invalid_agent_context");
      expect(await customerRows(owner.teamId, body.id)).toBe(0);
    });
  }

  it("malformed on a GET → 400 invalid_agent_context too", async () => {
    const { admin } = await newTeam();
    const res = await call("GET", "/v1/api-keys", { token: admin.key, headers: { "Vauchflow-Agent-Context": "agent=hal9000" } });
    expectApiError(res, 400, "invalid_agent_context");
  });

  it("public POSTs validate it too: malformed on POST /v1/auth/signup and /v1/auth/login → 400, no account", async () => {
    const email = `ctx${crypto.randomUUID()}@example.com`;
    const password = "correct horse battery";
    const headers = { "Vauchflow-Agent-Context": "agent=hal9000;prompt_fp=XYZ" };
    expectApiError(await call("POST", "/v1/auth/signup", { body: { email, password, team_name: "Ctx" }, headers }), 400, "invalid_agent_context");
    expectApiError(await call("POST", "/v1/auth/login", { body: { email, password } }), 401, "invalid_credentials");
    const account = await call("POST", "/v1/auth/signup", { body: { email, password, team_name: "Ctx" } });
    expect(account.status).toBe(201);
    expectApiError(await call("POST", "/v1/auth/login", { body: { email, password }, headers }), 400, "invalid_agent_context");
  });

  it("exactly 512 bytes is accepted when well-formed; 513 bytes → 400", async () => {
    const { owner, admin } = await newTeam();
    const atLimit = headerOfSize(512);
    const ok = await call("POST", "/v1/customers", { token: admin.key, body: { id: uniqueId() }, headers: { "Vauchflow-Agent-Context": atLimit } });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    const id = requestIdOf(ok);
    const entry = (await waitForAudit(owner.accessToken, admin.id, [id])).find((e) => e.request_id === id);
    expect(entry?.agent_context).toEqual({ agent: "custom", client: "vauchflow-test-client@10.20.30", prompt_fp: "deadbeef", conv: "c".repeat(100) });

    const body = { id: uniqueId() };
    const over = await call("POST", "/v1/customers", { token: admin.key, body, headers: { "Vauchflow-Agent-Context": headerOfSize(513) } });
    expectApiError(over, 400, "invalid_agent_context");
    expect(await customerRows(owner.teamId, body.id)).toBe(0);
  });

  it("a key every JavaScript object has (toString, __proto__, constructor) is an unknown field, not a duplicate", async () => {
    const { admin } = await newTeam();
    for (const key of ["toString", "__proto__", "constructor", "hasOwnProperty"]) {
      const res = await call("GET", "/v1/api-keys", { token: admin.key, headers: { "Vauchflow-Agent-Context": `agent=claude;${key}=x` } });
      expectApiError(res, 400, "invalid_agent_context");
      expect(res.body.message).toContain(`unknown field "${key}"`);
    }
  });

  it("far over 512 bytes → 400", async () => {
    const { admin } = await newTeam();
    const header = `agent=claude;client=claude-code@1.2.3;prompt_fp=0a1b2c3d;conv=${"x".repeat(2000)}`;
    expectApiError(
      await call("POST", "/v1/customers", { token: admin.key, body: { id: uniqueId() }, headers: { "Vauchflow-Agent-Context": header } }),
      400,
      "invalid_agent_context",
    );
  });
});
