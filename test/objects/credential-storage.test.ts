// Credential objects keep storage only for what exists. Login attempts are counted per email, known or not (so the
// answer never tells an account exists), by an object named after the email: anyone may try any email without a
// credential, so such an object must leave nothing stored. A key's object keeps its state as before.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { LOGIN_ATTEMPTS_PER_MINUTE } from "../../src/services/auth";
import { call, newTeam, signUp } from "../helpers/api";

const credentialObject = (name: string) => env.CREDENTIALS.get(env.CREDENTIALS.idFromName(name));

/** Every table and KV entry the object holds, read without creating anything. */
const storedBy = (name: string) =>
  runInDurableObject(credentialObject(name), async (_instance, state) => ({
    tables: state.storage.sql
      .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
      .toArray()
      .map((t) => t.name),
    entries: [...(await state.storage.list()).keys()],
  }));

const login = (email: string, password = "not the password at all") => call("POST", "/v1/auth/login", { body: { email, password } });

describe("credential objects and storage", () => {
  it("login attempts on emails nobody has: 401 each, the limit still holds, and their objects store nothing", async () => {
    const email = `nobody-${crypto.randomUUID().slice(0, 8)}@example.com`;
    for (let i = 0; i < LOGIN_ATTEMPTS_PER_MINUTE; i++) expect((await login(email)).status).toBe(401);
    expect((await login(email)).status).toBe(429);
    const other = `nobody-${crypto.randomUUID().slice(0, 8)}@example.com`;
    expect((await login(other)).status).toBe(401);
    for (const tried of [email, other]) expect(await storedBy(`login:${tried}`)).toEqual({ tables: [], entries: [] });
  });

  it("a real account's login, and an API key's requests, work as before; the key's object keeps the key's state and window", async () => {
    const account = await signUp();
    expect((await login(account.email, account.password)).status).toBe(200);
    const { admin } = await newTeam();
    expect((await call("GET", "/v1/vouchers", { token: admin.key })).status).toBe(200);
    const stored = await storedBy(admin.id);
    expect(stored.tables).toContain("key_state");
    expect(stored.entries).toContain("rate_window");
  });
});
