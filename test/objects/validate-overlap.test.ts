// Issue 16: a warm validate asks the key's object and the voucher's object at the same time, so at the edge it is
// one sequential round trip. Proven by the order of events inside the objects, never by timing: the key's object
// is held in the middle of authenticating, and the voucher's preview starts and answers meanwhile. The preview
// writes nothing; its answer is used only when the key is accepted, may validate, belongs to the team and is
// admitted by the rate limit. Legacy keys (no team part) and cold vouchers take the sequential path.
import { createExecutionContext, env, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app";
import { mintKey } from "../../src/lib/api-keys";
import type { CredentialObject } from "../../src/objects/credential";
import type { VoucherObject } from "../../src/objects/voucher";
import { call, createKey, newTeam } from "../helpers/api";
import { type Counts, countingEnv } from "../helpers/hops";
import { sha256Hex } from "../helpers/guarantees";
import { uniqueOrigin } from "../helpers/security";
import { createCampaign } from "../helpers/campaigns";
import { pollUntil } from "../helpers/poll";
import { createVoucher, uniqueCode, voucherObject } from "../helpers/vouchers";

const credentialObject = (keyId: string) => env.CREDENTIALS.get(env.CREDENTIALS.idFromName(keyId));

/** Undoes the instrumentation of object classes after each test. */
const restore: (() => void)[] = [];
afterEach(() => {
  while (restore.length > 0) restore.pop()!();
});

/**
 * Wraps a method of an object's class (on its prototype, as the runtime dispatches calls) so that the object itself
 * records when the call starts and answers; `before` runs first, inside the object (e.g. waits on a gate).
 */
async function record<T extends Rpc.DurableObjectBranded>(stub: DurableObjectStub<T>, method: keyof T & string, events: string[], label: string, before?: () => Promise<void>) {
  await runInDurableObject(stub, (instance) => {
    const proto = Object.getPrototypeOf(instance) as Record<string, (...args: unknown[]) => Promise<unknown>>;
    const original = proto[method]!;
    proto[method] = async function (this: T, ...args: unknown[]) {
      events.push(`${label} started`);
      if (before) await before();
      const answer = await original.apply(this, args);
      events.push(`${label} answered`);
      return answer;
    };
    restore.push(() => {
      proto[method] = original;
    });
  });
}

const body = (amount = 10_000) => ({ customer_id: "c-1", order: { amount } });

/**
 * Validates through bindings that count every call; `counts.objects` keeps the calls made before the answer
 * (what comes after it, such as handing counts over, holds no checkout).
 */
async function validateCounting(key: string, code: string, counts: Counts, headers: Record<string, string> = {}) {
  const ctx = createExecutionContext();
  const seen: Counts = { d1: 0, objects: [], queue: 0 };
  const res = await buildApp().request(
    `/v1/vouchers/${code}/validate`,
    { method: "POST", headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json", ...headers }, body: JSON.stringify(body()) },
    countingEnv(env, seen),
    ctx,
  );
  counts.objects.push(...seen.objects);
  counts.d1 += seen.d1;
  await waitOnExecutionContext(ctx);
  return res;
}

/** Everything the voucher object stores, table by table. */
const storedState = (stub: DurableObjectStub<VoucherObject>) =>
  runInDurableObject(stub, (_instance, state) => {
    const tables = state.storage.sql
      .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY name")
      .toArray();
    return JSON.stringify(tables.map(({ name }) => [name, state.storage.sql.exec(`SELECT * FROM "${name}"`).toArray()]));
  });

/**
 * The validations the voucher object has counted, once at least `atLeast` have reached it: answers taken from a
 * preview are handed to the object after their keys were accepted (with its next preview, or a second later), and
 * its alarm folds what it counted in memory into storage.
 */
function countedValidations(stub: DurableObjectStub<VoucherObject>, atLeast: number): Promise<number> {
  return pollUntil(
    async () => {
      await runInDurableObject(stub, (instance) => instance.alarm());
      return runInDurableObject(stub, (_i, state) => state.storage.sql.exec<{ n: number }>("SELECT coalesce(sum(validations), 0) AS n FROM validation_counts").one().n);
    },
    (counted) => counted >= atLeast,
  );
}

/** Waits until the voucher's preview has answered (it must, while the key's object is held). */
const previewAnswered = (events: string[]) => pollUntil(async () => events.includes("voucher: preview answered"), Boolean, { intervalMs: 10 });

describe("a warm validate overlaps its two object calls", () => {
  it("the voucher's preview starts and answers while the key's object is still authenticating", async () => {
    const { owner, admin } = await newTeam();
    const code = (await createVoucher(admin.key, { discount: { type: "percent", percent_off: 15 } })).code as string;
    const keyStub = credentialObject(admin.id);
    const voucherStub = voucherObject(owner.teamId, code);
    const events: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await record<CredentialObject>(keyStub, "authenticate", events, "key: authenticate", () => held);
    await record<VoucherObject>(voucherStub, "preview", events, "voucher: preview");

    const counts: Counts = { d1: 0, objects: [], queue: 0 };
    const answer = validateCounting(admin.key, code, counts);
    // The key's object cannot answer until released, so a preview can only answer now if it was asked alongside.
    await previewAnswered(events);
    expect(events).toEqual(["key: authenticate started", "voucher: preview started", "voucher: preview answered"]);
    release();
    const res = await answer;
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ valid: true, code, discount_amount: 1500 });
    expect(events.at(-1)).toBe("key: authenticate answered");
    // The answer came from the preview: no validate after authentication.
    expect(counts.objects).toEqual(["credential.authenticate", "voucher.preview"]);
    expect(await countedValidations(voucherStub, 1)).toBe(1);
  });

  it("a publishable key's validate from its allowed origin overlaps the same way and sees only the shopper's view", async () => {
    const { owner, admin } = await newTeam();
    const origin = uniqueOrigin();
    const pk = await createKey(owner.accessToken, { type: "publishable", allowed_origins: [origin] });
    const code = (await createVoucher(admin.key, { discount: { type: "percent", percent_off: 10 }, metadata: { internal: "yes" } })).code as string;
    const events: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await record<CredentialObject>(credentialObject(pk.id), "authenticate", events, "key: authenticate", () => held);
    await record<VoucherObject>(voucherObject(owner.teamId, code), "preview", events, "voucher: preview");
    const counts: Counts = { d1: 0, objects: [], queue: 0 };
    const answer = validateCounting(pk.key, code, counts, { Origin: origin });
    await previewAnswered(events);
    expect(events).toEqual(["key: authenticate started", "voucher: preview started", "voucher: preview answered"]);
    release();
    const res = await answer;
    expect(res.status).toBe(200);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe(origin);
    const shown = (await res.json()) as Record<string, unknown>;
    expect(shown).toMatchObject({ valid: true, discount_amount: 1000 });
    expect(shown).not.toHaveProperty("metadata");
    expect(counts.objects).toEqual(["credential.authenticate", "voucher.preview"]);
  });

  it("a preview writes nothing, and is thrown away unless the key is valid, may validate, and is admitted", async () => {
    const { owner, admin } = await newTeam();
    const origin = uniqueOrigin();
    const code = (await createVoucher(admin.key)).code as string;
    const stub = voucherObject(owner.teamId, code);
    const readOnly = await createKey(owner.accessToken, { scopes: ["read:vouchers"] });
    const limited = await createKey(owner.accessToken, { rate_limit_per_minute: 1 });
    const pk = await createKey(owner.accessToken, { type: "publishable", allowed_origins: [origin] });
    const revoked = await createKey(owner.accessToken, {});
    expect((await call("DELETE", `/v1/api-keys/${revoked.id}`, { token: owner.accessToken })).status).toBe(204);
    // The limited key spends its one admission of the minute elsewhere.
    expect((await call("GET", `/v1/vouchers/${code}`, { token: limited.key })).status).toBe(200);
    const before = await storedState(stub);

    const refusals: [string, Record<string, string>, number, string][] = [
      [revoked.key, {}, 401, "invalid_api_key"],
      [readOnly.key, {}, 403, "insufficient_scope"],
      [limited.key, {}, 429, "rate_limit_exceeded"],
      [pk.key, { Origin: uniqueOrigin() }, 403, "origin_not_allowed"],
    ];
    for (const [key, headers, status, error] of refusals) {
      const counts: Counts = { d1: 0, objects: [], queue: 0 };
      const res = await validateCounting(key, code, counts, headers);
      expect(res.status, error).toBe(status);
      expect(((await res.json()) as { error: string }).error).toBe(error);
      // Each was previewed alongside authentication (that is the overlap), and nothing else was asked.
      expect(counts.objects).toEqual(["credential.authenticate", "voucher.preview"]);
    }
    expect(await storedState(stub)).toBe(before);
    expect(await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())).toBeNull();

    // One accepted validation, last: the refused ones would have been counted with it or before it.
    expect((await call("POST", `/v1/vouchers/${code}/validate`, { token: admin.key, body: body() })).status).toBe(200);
    expect(await countedValidations(stub, 1)).toBe(1);
  });

  it("a key whose team part disagrees with its own object is refused, and the other team's voucher counts nothing", async () => {
    const { owner } = await newTeam();
    const other = await newTeam();
    const code = (await createVoucher(other.admin.key)).code as string;
    const key = await createKey(owner.accessToken, {});
    // A key minted naming the wrong team (only a bug could do it: the check covers the team part), made live.
    const wrong = await mintKey(env.KEY_CHECK_SECRET, "secret", "staging", key.id, other.owner.teamId);
    await credentialObject(key.id).rotate(key.id, await sha256Hex(wrong), null);
    const counts: Counts = { d1: 0, objects: [], queue: 0 };
    const res = await validateCounting(wrong, code, counts);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: string }).error).toBe("invalid_api_key");
    expect(counts.objects).toEqual(["credential.authenticate", "voucher.preview"]);
    expect((await call("POST", `/v1/vouchers/${code}/validate`, { token: other.admin.key, body: body() })).status).toBe(200);
    expect(await countedValidations(voucherObject(other.owner.teamId, code), 1)).toBe(1);
  });
});

describe("the sequential path", () => {
  it("a key issued before keys named their team validates after authentication, as before", async () => {
    const { owner, admin } = await newTeam();
    const code = (await createVoucher(admin.key, { discount: { type: "percent", percent_off: 20 } })).code as string;
    const key = await createKey(owner.accessToken, {});
    const legacy = await mintKey(env.KEY_CHECK_SECRET, "secret", "staging", key.id, null);
    expect(legacy.length).toBe(key.key.length - 26);
    await credentialObject(key.id).rotate(key.id, await sha256Hex(legacy), null);
    const counts: Counts = { d1: 0, objects: [], queue: 0 };
    const res = await validateCounting(legacy, code, counts);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ valid: true, discount_amount: 2000 });
    expect(counts.objects).toEqual(["credential.authenticate", "voucher.validate"]);
    expect(await countedValidations(voucherObject(owner.teamId, code), 1)).toBe(1);
  });

  it("a voucher its object has not loaded answers cold: the ordinary validate follows authentication", async () => {
    const { admin } = await newTeam();
    const counts: Counts = { d1: 0, objects: [], queue: 0 };
    const res = await validateCounting(admin.key, uniqueCode("NONE"), counts);
    expect(res.status).toBe(404);
    expect(counts.objects).toEqual(["credential.authenticate", "voucher.preview", "voucher.validate"]);
  });

  it("a campaign voucher whose campaign object is cold answers cold too, and validates correctly after", async () => {
    const { owner, admin } = await newTeam();
    const campaign = await createCampaign(admin.key, { discount: { type: "amount", amount_off: 500 }, currency: "EUR" });
    const code = (await call("POST", "/v1/vouchers", { token: admin.key, body: { campaign_id: campaign.id } })).body.code as string;
    const campaignStub = env.CAMPAIGNS.get(env.CAMPAIGNS.idFromName(campaign.id));
    // Forget the campaign in its object (as if its install were lost): only check, which may load it from D1, can.
    await runInDurableObject(campaignStub, (instance, state) => {
      state.storage.sql.exec("DELETE FROM campaign");
      (instance as unknown as { state: undefined }).state = undefined;
    });
    const counts: Counts = { d1: 0, objects: [], queue: 0 };
    const res = await validateCounting(admin.key, code, counts);
    expect(res.status).toBe(200);
    const shown = await res.json();
    expect(shown, JSON.stringify(shown)).toMatchObject({ valid: true, discount_amount: 500 });
    expect(counts.objects).toEqual(["credential.authenticate", "voucher.preview", "voucher.validate"]);
    const again: Counts = { d1: 0, objects: [], queue: 0 };
    expect((await validateCounting(admin.key, code, again)).status).toBe(200);
    expect(again.objects).toEqual(["credential.authenticate", "voucher.preview"]);
    expect(await countedValidations(voucherObject(owner.teamId, code), 2)).toBe(2);
  });
});
