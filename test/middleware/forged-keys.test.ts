// Forged keys cost nothing: every API key carries an HMAC check under the deployment's KEY_CHECK_SECRET, so a
// mistyped or invented key is refused with 401 before any Durable Object call or D1 query.
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { buildApp } from "../../src/app";
import { newTeam } from "../helpers/api";
import { type Counts, countingEnv } from "../helpers/hops";
import { expectInvalidKey, forgedWithCheck, unknownKey, withWrongSecret } from "../helpers/security";

const app = buildApp();

async function send(token: string, counts: Counts, path = "/v1/vouchers/SUMMER/validate") {
  const ctx = createExecutionContext();
  const res = await app.request(
    path,
    { method: "POST", headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" }, body: JSON.stringify({ order: { amount: 1000 } }) },
    countingEnv(env, counts),
    ctx,
  );
  await waitOnExecutionContext(ctx);
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text), headers: res.headers };
}

const fresh = (): Counts => ({ d1: 0, objects: [], queue: 0 });

describe("forged keys (HMAC check)", () => {
  it("invented keys, mistyped keys and a real key id with a wrong secret make no hop at all", async () => {
    const { admin } = await newTeam();
    const real = admin.key;
    const mistyped = `${real.slice(0, 20)}${real[20] === "a" ? "b" : "a"}${real.slice(21)}`;
    const forged = [unknownKey(), unknownKey("vf_pk_test_"), unknownKey("vf_ak_test_"), withWrongSecret(real), mistyped];
    for (const token of forged) {
      const counts = fresh();
      expectInvalidKey(await send(token, counts));
      expect(counts, token).toEqual(fresh());
    }
  });

  it("a key with a right check still goes to its object, which refuses an unknown id or a wrong secret", async () => {
    const { admin } = await newTeam();
    for (const token of [await forgedWithCheck(), await forgedWithCheck("vf_sk_test_", admin.id)]) {
      const counts = fresh();
      expectInvalidKey(await send(token, counts));
      expect(counts.objects).toEqual(["credential.authenticate"]);
    }
  });

  it("the real key passes the check and is served", async () => {
    const { admin } = await newTeam();
    const counts = fresh();
    const res = await send(admin.key, counts, "/v1/vouchers/NO-SUCH-CODE/validate");
    expect(res.status).toBe(404);
    expect(counts.objects[0]).toBe("credential.authenticate");
  });
});
