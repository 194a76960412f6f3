// The dashboard's sections against the API they stand for: what a page shows, and that its forms change what the
// REST routes would (same services, same role rules).
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { addMember, call, newTeam } from "../helpers/api";
import { pollUntil } from "../helpers/poll";
import { createVoucher, flushVoucher, order, redeemOk, uniqueCode } from "../helpers/vouchers";
import { hookPath, hookUrl } from "../helpers/webhooks";
import { Browser, csrfOf } from "./browser";

async function signedIn() {
  const { owner, admin } = await newTeam();
  const browser = new Browser();
  await browser.signIn(owner.email, owner.password);
  return { owner, admin, browser };
}

describe("dashboard sections", () => {
  it("switches teams: a member of two teams sees the other in the switcher and can open it", async () => {
    const { owner } = await signedIn();
    const member = await addMember(owner.accessToken, owner.teamId, "viewer");
    const browser = new Browser();
    await browser.signIn(member.email, member.password);
    const own = await browser.get(`/dashboard/${member.teamId}/campaigns`);
    expect(own.html).toContain(`href="/dashboard/${owner.teamId}/campaigns"`);
    const other = await browser.get(`/dashboard/${owner.teamId}/campaigns`);
    expect(other.status).toBe(200);
    expect(other.html).toContain(`href="/dashboard/${member.teamId}/campaigns"`);
  });

  it("a viewer sees campaigns without a create form, and a forged create is refused by the service", async () => {
    const { owner, admin } = await signedIn();
    const viewer = await addMember(owner.accessToken, owner.teamId, "viewer");
    const browser = new Browser();
    await browser.signIn(viewer.email, viewer.password);
    const page = await browser.get(`/dashboard/${owner.teamId}/campaigns`);
    expect(page.status).toBe(200);
    expect(page.html).not.toContain("Create campaign");
    const forged = await browser.post(`/dashboard/${owner.teamId}/campaigns`, { name: "Nope", discount_type: "percent", discount_value: "5" }, { csrf: csrfOf(page) });
    expect(forged.status).toBe(403);
    expect(forged.html).toContain("insufficient_role");
    expect((await call("GET", "/v1/campaigns", { token: admin.key })).body.data).toEqual([]);
  });

  it("finds a voucher by code, lists its redemption history and rolls one back", async () => {
    const { owner, admin, browser } = await signedIn();
    const code = uniqueCode("DASH");
    await createVoucher(admin.key, { code, redemption_limit: 1 });
    const redemption = await redeemOk(admin.key, code, { customer_id: "cus-dash", order: order(8000) });
    await flushVoucher(owner.teamId, code);

    const search = await browser.get(`/dashboard/${owner.teamId}/vouchers?code=${code.slice(0, 8).toLowerCase()}`);
    expect(search.html).toContain(`/vouchers/${code}"`);
    const detail = await browser.get(`/dashboard/${owner.teamId}/vouchers/${code}`);
    expect(detail.html).toMatch(/<dt>Gives<\/dt><dd>[^<]+ off<\/dd>/);
    expect(detail.html).toContain(redemption.order.id);
    expect(detail.html).toContain("cus-dash");
    expect(detail.html).toContain(`value="${redemption.id}"`);

    const rolled = await browser.post(`/dashboard/${owner.teamId}/vouchers/${code}/rollback`, { redemption_id: redemption.id, reason: "refund" }, { csrf: csrfOf(detail) });
    expect(rolled.location).toBe(`/dashboard/${owner.teamId}/vouchers/${code}?notice=rolled_back`);
    expect((await call("GET", `/v1/vouchers/${code}`, { token: admin.key })).body.redemptions_count).toBe(0);
    await flushVoucher(owner.teamId, code);
    const after = await browser.get(`/dashboard/${owner.teamId}/vouchers/${code}`);
    expect(after.html).toContain("rolled back");
    expect(after.html).toContain("(refund)");
    expect(after.html).not.toContain(`value="${redemption.id}"`);
  });

  it("rotates a key (the new secret once; the old one dies) and shows the key's audit log", async () => {
    const { owner, admin, browser } = await signedIn();
    const key = await call("POST", "/v1/api-keys", { token: admin.key, body: { name: "to rotate", type: "secret", scopes: ["write"] } });
    const made = await call("POST", "/v1/customers", { token: key.body.key, body: { id: "cus-audited" } });
    expect(made.status).toBe(201);
    const list = await browser.get(`/dashboard/${owner.teamId}/keys`);
    const rotated = await browser.post(`/dashboard/${owner.teamId}/keys/${key.body.id}/rotate`, {}, { csrf: csrfOf(list) });
    expect(rotated.status).toBe(200);
    const secret = /<code>(vf_sk_test_[A-Za-z0-9]+)<\/code>/.exec(rotated.html)?.[1];
    expect(secret).toBeTruthy();
    expect(secret).not.toBe(key.body.key);
    expect((await call("GET", "/v1/customers/cus-audited", { token: key.body.key })).status).toBe(401);
    expect((await call("GET", "/v1/customers/cus-audited", { token: secret })).status).toBe(200);

    const audit = await pollUntil(() => browser.get(`/dashboard/${owner.teamId}/keys/${key.body.id}/audit`), (page) => page.html.includes("/v1/customers"), { intervalMs: 100 });
    expect(audit.html).toContain("POST /v1/customers");
    expect(audit.html).toContain(made.headers.get("Request-Id")!);
  });

  it("a voucher's page says what it gives, in its currency's units", async () => {
    const { owner, admin, browser } = await signedIn();
    const percent = uniqueCode("GIVES");
    await createVoucher(admin.key, { code: percent, currency: "EUR", discount: { type: "percent", percent_off: 20, max_discount_amount: 5000 } });
    const yen = uniqueCode("YEN");
    await createVoucher(admin.key, { code: yen, currency: "JPY", discount: { type: "amount", amount_off: 500 } });
    expect((await browser.get(`/dashboard/${owner.teamId}/vouchers/${percent}`)).html).toContain("<dt>Gives</dt><dd>20 % off (at most 50.00 EUR)</dd>");
    expect((await browser.get(`/dashboard/${owner.teamId}/vouchers/${yen}`)).html).toContain("<dt>Gives</dt><dd>500 JPY off</dd>");
  });

  it("pages through a voucher list longer than one page (Older →, ← Newest); a cursor that is not one is 400", async () => {
    const { owner, admin, browser } = await signedIn();
    const prefix = `PAGE${crypto.randomUUID().slice(0, 4).toUpperCase()}`;
    for (let i = 0; i < 55; i += 11) {
      await Promise.all(Array.from({ length: 11 }, (_, j) => createVoucher(admin.key, { code: `${prefix}-${String(i + j).padStart(2, "0")}` })));
    }
    const first = await browser.get(`/dashboard/${owner.teamId}/vouchers?code=${prefix}`);
    const codes = (html: string) => [...html.matchAll(new RegExp(`<code>(${prefix}-\\d+)</code>`, "g"))].map((m) => m[1]);
    expect(codes(first.html)).toHaveLength(50);
    const older = /href="([^"]*cursor=vch_[^"]*)">Older →<\/a>/.exec(first.html)?.[1];
    expect(older).toBeTruthy();
    expect(first.html).not.toContain("← Newest");
    const second = await browser.get(older!.replaceAll("&amp;", "&"));
    expect(codes(second.html)).toHaveLength(5);
    expect(new Set([...codes(first.html), ...codes(second.html)]).size).toBe(55);
    expect(second.html).toContain("← Newest");
    expect(second.html).not.toContain("Older →");
    expect((await browser.get(`/dashboard/${owner.teamId}/vouchers?cursor=nonsense`)).status).toBe(400);
  });

  it("rotates with a grace the form offers (an hour by default): the old secret keeps working until then", async () => {
    const { owner, admin, browser } = await signedIn();
    const key = await call("POST", "/v1/api-keys", { token: admin.key, body: { name: "graceful", type: "secret", scopes: ["read"] } });
    const list = await browser.get(`/dashboard/${owner.teamId}/keys`);
    expect(list.html).toMatch(/<option value="3600" selected="">1 hour<\/option>/);
    const rotated = await browser.post(`/dashboard/${owner.teamId}/keys/${key.body.id}/rotate`, { expire_old_in_seconds: "3600" }, { csrf: csrfOf(list) });
    expect(rotated.status).toBe(200);
    const secret = /<code>(vf_sk_test_[A-Za-z0-9]+)<\/code>/.exec(rotated.html)?.[1];
    expect((await call("GET", "/v1/vouchers", { token: secret })).status).toBe(200);
    expect((await call("GET", "/v1/vouchers", { token: key.body.key })).status).toBe(200);
    expect(rotated.html).not.toContain(key.body.key);
    const row = await env.DB.prepare("SELECT previous_secret_expires_at AS until FROM api_keys WHERE id = ?").bind(key.body.id).first<{ until: number }>();
    expect(row!.until - Date.now()).toBeGreaterThan(3_500_000);
    // A grace the API does not allow is refused like the API refuses it.
    const again = await browser.get(`/dashboard/${owner.teamId}/keys`);
    expect((await browser.post(`/dashboard/${owner.teamId}/keys/${key.body.id}/rotate`, { expire_old_in_seconds: "999999" }, { csrf: csrfOf(again) })).status).toBe(400);
  });

  it("creates a webhook endpoint (its secret shown once) and lists its deliveries after a test event", async () => {
    const { owner, admin, browser } = await signedIn();
    const list = await browser.get(`/dashboard/${owner.teamId}/webhooks`);
    const created = await browser.post(`/dashboard/${owner.teamId}/webhooks`, { url: hookUrl(hookPath()), events: "*" }, { csrf: csrfOf(list) });
    expect(created.status).toBe(201);
    expect(created.html).toMatch(/<code>whsec_[A-Za-z0-9+/=]+<\/code>/);
    const endpoints = await call("GET", "/v1/webhooks", { token: admin.key });
    const id = endpoints.body.data[0].id as string;
    const page = await browser.get(`/dashboard/${owner.teamId}/webhooks/${id}`);
    expect(page.html).not.toContain("whsec_");
    const sent = await browser.post(`/dashboard/${owner.teamId}/webhooks/${id}/test`, {}, { csrf: csrfOf(page) });
    expect(sent.location).toBe(`/dashboard/${owner.teamId}/webhooks/${id}?notice=webhook_test_sent`);
    const deliveries = await pollUntil(() => browser.get(`/dashboard/${owner.teamId}/webhooks/${id}`), (page) => page.html.includes("webhook.test"), { intervalMs: 100 });
    expect(deliveries.html).toContain("<code>webhook.test</code>");
  });

  it("a refused create form comes back with what was typed and why, instead of an error page that loses it", async () => {
    const { owner, admin, browser } = await signedIn();
    const list = await browser.get(`/dashboard/${owner.teamId}/campaigns`);
    const refused = await browser.post(
      `/dashboard/${owner.teamId}/campaigns`,
      { name: "Summer <sale>", discount_type: "amount", discount_value: "1500", currency: "", budget_cap: "90000" },
      { csrf: csrfOf(list) },
    );
    expect(refused.status).toBe(400);
    expect(refused.html).toContain('data-testid="form-error"');
    // The field is named as the form calls it, and its input is marked for assistive technology.
    expect(refused.html).toContain("<strong>Currency</strong>");
    expect(refused.html).toMatch(/<input name="currency"[^>]*aria-invalid="true"/);
    expect(refused.html).not.toMatch(/<input name="name"[^>]*aria-invalid/);
    expect(refused.html).toContain('value="Summer &lt;sale&gt;"');
    expect(refused.html).toMatch(/<option value="amount" selected="">/);
    expect(refused.html).toContain('value="1500"');
    expect(refused.html).toContain('value="90000"');
    expect((await call("GET", "/v1/campaigns", { token: admin.key })).body.data).toEqual([]);
    // The form it shows again is sendable as it is, once corrected.
    const fixed = await browser.post(`/dashboard/${owner.teamId}/campaigns`, { name: "Summer sale", discount_type: "amount", discount_value: "1500", currency: "EUR" }, { csrf: csrfOf(refused) });
    expect(fixed.status).toBe(303);

    const hooks = await browser.get(`/dashboard/${owner.teamId}/webhooks`);
    const badHook = await browser.post(`/dashboard/${owner.teamId}/webhooks`, { url: "not a url", events: "voucher.redeemed", description: "ERP" }, { csrf: csrfOf(hooks) });
    expect(badHook.status).toBe(400);
    expect(badHook.html).toContain('value="not a url"');
    expect(badHook.html).toContain('value="voucher.redeemed"');
    expect(badHook.html).toContain('value="ERP"');

    const keys = await browser.get(`/dashboard/${owner.teamId}/keys`);
    const badKey = await browser.post(`/dashboard/${owner.teamId}/keys`, { name: "Agent", type: "agent", scopes: "", ttl_days: "400" }, { csrf: csrfOf(keys) });
    expect(badKey.status).toBe(400);
    expect(badKey.html).toMatch(/<option value="agent" selected="">/);
    expect(badKey.html).toContain('value="400"');
    expect(badKey.html).toMatch(/<input name="ttl_days"[^>]*aria-invalid="true"|<input name="scopes"[^>]*aria-invalid="true"/);
  });

  it("the error page of another team's URL leads back to the dashboard, not to the same refusal", async () => {
    const { browser } = await signedIn();
    const other = await newTeam();
    const refused = await browser.get(`/dashboard/${other.owner.teamId}/campaigns`);
    expect(refused.status).toBe(403);
    expect(refused.html).toContain('href="/dashboard"');
    expect(refused.html).not.toContain(`href="/dashboard/${other.owner.teamId}/campaigns"`);
  });

  it("an error inside a section keeps the navigation and leads back to the section", async () => {
    const { owner, browser } = await signedIn();
    const missing = await browser.get(`/dashboard/${owner.teamId}/vouchers/NO-SUCH-CODE`);
    expect(missing.status).toBe(404);
    expect(missing.html).toContain(`<a href="/dashboard/${owner.teamId}/vouchers" aria-current="page">Vouchers</a>`);
    expect(missing.html).toContain(`<a href="/dashboard/${owner.teamId}/vouchers">Back to Vouchers</a>`);
  });

  it("an empty voucher list says how vouchers are made; an empty search names the search and leads back to all", async () => {
    const { owner, browser } = await signedIn();
    const none = await browser.get(`/dashboard/${owner.teamId}/vouchers`);
    expect(none.html).toContain("No vouchers yet.");
    expect(none.html).toContain("POST /v1/vouchers");
    const search = await browser.get(`/dashboard/${owner.teamId}/vouchers?code=NOPE`);
    expect(search.html).toContain("No vouchers with a code starting with <code>NOPE</code>");
    expect(search.html).toContain(`<a href="/dashboard/${owner.teamId}/vouchers">Show all vouchers</a>`);
  });
});
