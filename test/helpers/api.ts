// A small harness: every test makes its own team and keys through the public API, so tests never share state.
import { exports } from "cloudflare:workers";

export type Answer<T = any> = { status: number; body: T; headers: Headers };

export type CallOptions = { token?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> };

export async function call<T = any>(method: string, path: string, options: CallOptions = {}): Promise<Answer<T>> {
  const headers = new Headers(options.headers);
  if (options.token) headers.set("Authorization", `Bearer ${options.token}`);
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined && !headers.has("Content-Type")) headers.set("Content-Type", "application/json");
  const res = await exports.default.fetch(new Request(`https://api.vauchflow.test${path}`, { method, headers, body }));
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // Non-JSON answers (HTML docs, CSV) are returned as text.
  }
  return { status: res.status, body: parsed as T, headers: res.headers };
}

let counter = 0;
export const uniqueEmail = () => `user${Date.now()}${++counter}${Math.floor(Math.random() * 1e6)}@example.com`;

export type Account = {
  email: string;
  password: string;
  userId: string;
  teamId: string;
  accessToken: string;
  refreshToken: string;
};

export async function signUp(teamName = "Test team"): Promise<Account> {
  const email = uniqueEmail();
  const password = "correct horse battery";
  const res = await call("POST", "/v1/auth/signup", { body: { email, password, team_name: teamName } });
  if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${JSON.stringify(res.body)}`);
  return {
    email,
    password,
    userId: res.body.user.id,
    teamId: res.body.team.id,
    accessToken: res.body.access_token,
    refreshToken: res.body.refresh_token,
  };
}

export type CreatedKey = { id: string; key: string; body: any };

export async function createKey(token: string, body: Record<string, unknown> = {}): Promise<CreatedKey> {
  const res = await call("POST", "/v1/api-keys", { token, body: { name: "test key", type: "secret", ...body } });
  if (res.status !== 201) throw new Error(`key creation failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.id, key: res.body.key, body: res.body };
}

export async function createAgentKey(token: string, body: Record<string, unknown> = {}): Promise<CreatedKey> {
  const res = await call("POST", "/v1/api-keys/agent", { token, body: { name: "agent", scopes: ["read"], ...body } });
  if (res.status !== 201) throw new Error(`agent key creation failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.id, key: res.body.key, body: res.body };
}

/** A fresh team with its owner and an admin secret key. */
export async function newTeam() {
  const owner = await signUp();
  const admin = await createKey(owner.accessToken, { name: "admin" });
  return { owner, admin };
}

export function expectError(res: Answer, status: number, code: string) {
  if (res.status !== status || res.body?.error !== code) {
    throw new Error(`expected ${status} ${code}, got ${res.status} ${JSON.stringify(res.body)}`);
  }
  if (typeof res.body.request_id !== "string" || !res.body.request_id.startsWith("req_")) {
    throw new Error(`error without request_id: ${JSON.stringify(res.body)}`);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Signs up a new user and adds them to `teamId` with `role` (called by an owner). They also own a team of their own. */
export async function addMember(ownerToken: string, teamId: string, role: "owner" | "admin" | "developer" | "viewer"): Promise<Account> {
  const member = await signUp("Member's own team");
  const res = await call("POST", `/v1/teams/${teamId}/members`, { token: ownerToken, body: { email: member.email, role } });
  if (res.status !== 201) throw new Error(`adding member failed: ${res.status} ${JSON.stringify(res.body)}`);
  return member;
}
