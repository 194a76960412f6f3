// The dashboard's session and its defences: the cookie's flags, CSRF tokens and the Origin check, the CSP, team
// membership, and sign-out ending the session.
import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { addMember, call, newTeam, signUp } from "../helpers/api";
import { pollUntil } from "../helpers/poll";
import { hookPath, hookUrl } from "../helpers/webhooks";
import { unseal } from "../../src/lib/sealing";
import { Browser, csrfOf, ORIGIN } from "./browser";

async function signedIn() {
  const { owner, admin } = await newTeam();
  const browser = new Browser();
  const answer = await browser.signIn(owner.email, owner.password);
  return { owner, admin, browser, answer };
}

describe("dashboard sign-in", () => {
  it("sets an HttpOnly, Secure, SameSite=Strict session cookie and opens the team's campaigns", async () => {
    const { owner, browser, answer } = await signedIn();
    expect(answer.status).toBe(303);
    const cookie = answer.headers.get("Set-Cookie") ?? "";
    expect(cookie).toMatch(/^vf_dashboard=[^;]+;/);
    expect(cookie).toMatch(/; HttpOnly/i);
    expect(cookie).toMatch(/; Secure/i);
    expect(cookie).toMatch(/; SameSite=Strict/i);
    expect(cookie).toMatch(/; Path=\/dashboard/);
    const home = await browser.get("/dashboard");
    expect(home.location).toBe(`/dashboard/${owner.teamId}/campaigns`);
    const page = await browser.get(home.location!);
    expect(page.status).toBe(200);
    expect(page.html).toContain("<h1>Campaigns</h1>");
  });

  it("refuses a wrong password without a cookie, and sends the signed-out to the sign-in page", async () => {
    const owner = await signUp();
    const browser = new Browser();
    const answer = await browser.signIn(owner.email, "not the password");
    expect(answer.status).toBe(401);
    expect(answer.headers.get("Set-Cookie")).toBeNull();
    expect(answer.html).toContain("The email or password is incorrect.");
    const page = await browser.get(`/dashboard/${owner.teamId}/campaigns`);
    expect(page.status).toBe(303);
    expect(page.location).toBe("/dashboard/login");
  });

  it("does not take an API access token as the session cookie", async () => {
    const owner = await signUp();
    const browser = new Browser();
    browser.cookie = `vf_dashboard=${owner.accessToken}`;
    const page = await browser.get(`/dashboard/${owner.teamId}/campaigns`);
    expect(page.location).toBe("/dashboard/login");
  });

  it("serves every page with a strict CSP, no inline script and nothing from another origin", async () => {
    const { owner, browser } = await signedIn();
    for (const path of ["/dashboard/login", `/dashboard/${owner.teamId}/campaigns`, `/dashboard/${owner.teamId}/keys`]) {
      const page = await browser.get(path);
      const csp = page.headers.get("Content-Security-Policy") ?? "";
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self';");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
      expect(page.html).not.toMatch(/<script(?![^>]*\ssrc="\/assets\/)/);
      expect(page.html).not.toMatch(/(src|href)="(https?:)?\/\//);
      expect(page.html).not.toMatch(/localStorage|vf_rt_|eyJ/);
    }
  });

  it("shows a team the user is not in as refused, not as data", async () => {
    const { browser } = await signedIn();
    const other = await signUp();
    const page = await browser.get(`/dashboard/${other.teamId}/campaigns`);
    expect(page.status).toBe(403);
    expect(page.html).toContain("team_access_denied");
  });

  it("audits a refused team under no team, as REST does: nothing is written into another team's audit log", async () => {
    const { owner, browser } = await signedIn();
    const other = await signUp();
    const page = await browser.get(`/dashboard/${other.teamId}/campaigns`);
    expect(page.status).toBe(403);
    const requestId = page.headers.get("Request-Id");
    const row = await pollUntil(
      () => env.DB.prepare("SELECT team_id, credential_id, status FROM audit_log WHERE request_id = ?").bind(requestId).first(),
      (found) => found !== null,
      { intervalMs: 100 },
    );
    expect(row).toEqual({ team_id: null, credential_id: owner.userId, status: 403 });
  });

  it("signing out ends the session: the old cookie no longer opens a page", async () => {
    const { owner, browser } = await signedIn();
    const page = await browser.get(`/dashboard/${owner.teamId}/campaigns`);
    const stolen = browser.cookie;
    const out = await browser.post("/dashboard/logout", {}, { csrf: csrfOf(page) });
    expect(out.location).toBe("/dashboard/login?notice=signed_out");
    expect(browser.cookie).toBeNull();
    const replay = new Browser();
    replay.cookie = stolen;
    expect((await replay.get(`/dashboard/${owner.teamId}/campaigns`)).location).toBe("/dashboard/login");
  });
});

describe("dashboard forms", () => {
  it("creates a campaign through the same service as POST /v1/campaigns", async () => {
    const { owner, admin, browser } = await signedIn();
    const list = await browser.get(`/dashboard/${owner.teamId}/campaigns`);
    const res = await browser.post(`/dashboard/${owner.teamId}/campaigns`, { name: "Spring sale", discount_type: "percent", discount_value: "15", currency: "eur" }, { csrf: csrfOf(list) });
    expect(res.status).toBe(303);
    const id = /\/campaigns\/(cmp_[^?]+)\?notice=campaign_created$/.exec(res.location ?? "")?.[1];
    expect(id).toBeTruthy();
    const api = await call("GET", `/v1/campaigns/${id}`, { token: admin.key });
    expect(api.body).toMatchObject({ name: "Spring sale", discount: { type: "percent", percent_off: 15 }, currency: "EUR", status: "active" });
  });

  it("audits a change made on the dashboard under the user, as a REST request would be", async () => {
    const { owner, browser } = await signedIn();
    const list = await browser.get(`/dashboard/${owner.teamId}/campaigns`);
    const res = await browser.post(`/dashboard/${owner.teamId}/campaigns`, { name: "Audited", discount_type: "percent", discount_value: "5" }, { csrf: csrfOf(list) });
    expect(res.status).toBe(303);
    const requestId = res.headers.get("Request-Id");
    const row = await pollUntil(
      () => env.DB.prepare("SELECT team_id, credential_id, method, path, status FROM audit_log WHERE request_id = ?").bind(requestId).first(),
      (found) => found !== null,
      { intervalMs: 100 },
    );
    expect(row).toEqual({ team_id: owner.teamId, credential_id: owner.userId, method: "POST", path: `/dashboard/${owner.teamId}/campaigns`, status: 303 });
  });

  it("refuses a form without the session's CSRF token, or from another origin, and changes nothing", async () => {
    const { owner, admin, browser } = await signedIn();
    const fields = { name: "Forged", discount_type: "percent", discount_value: "50" };
    const list = await browser.get(`/dashboard/${owner.teamId}/campaigns`);
    const noToken = await browser.post(`/dashboard/${owner.teamId}/campaigns`, fields, { csrf: null });
    expect(noToken.status).toBe(400);
    const wrongToken = await browser.post(`/dashboard/${owner.teamId}/campaigns`, fields, { csrf: "x".repeat(43) });
    expect(wrongToken.status).toBe(400);
    const crossSite = await browser.post(`/dashboard/${owner.teamId}/campaigns`, fields, { csrf: csrfOf(list), origin: "https://evil.example" });
    expect(crossSite.status).toBe(403);
    const noOrigin = await browser.post(`/dashboard/${owner.teamId}/campaigns`, fields, { csrf: csrfOf(list), origin: null });
    expect(noOrigin.status).toBe(403);
    // Another session's token is not this session's.
    const other = new Browser();
    await other.signIn(owner.email, owner.password);
    const otherToken = csrfOf(await other.get(`/dashboard/${owner.teamId}/campaigns`));
    expect(otherToken).not.toBe(csrfOf(list));
    expect((await browser.post(`/dashboard/${owner.teamId}/campaigns`, fields, { csrf: otherToken })).status).toBe(400);
    const campaigns = await call("GET", "/v1/campaigns", { token: admin.key });
    expect(campaigns.body.data).toEqual([]);
  });

  it("shows a validation error with the API's details", async () => {
    const { owner, browser } = await signedIn();
    const list = await browser.get(`/dashboard/${owner.teamId}/campaigns`);
    const res = await browser.post(`/dashboard/${owner.teamId}/campaigns`, { name: "Bad", discount_type: "percent", discount_value: "250" }, { csrf: csrfOf(list) });
    expect(res.status).toBe(400);
    // discount.percent_off, named as the form calls it, on the input that feeds it.
    expect(res.html).toContain("<li><strong>Value</strong>: Too big");
    expect(res.html).toMatch(/<input name="discount_value"[^>]*aria-invalid="true"/);
  });

  it("answers a form body that cannot be parsed (broken multipart, no boundary) with 400, never 500", async () => {
    const { owner, browser } = await signedIn();
    const bodies: [string, string][] = [
      ["--x\r\nbroken", "multipart/form-data; boundary=x"],
      ["garbage", "multipart/form-data"],
    ];
    for (const path of [`/dashboard/${owner.teamId}/campaigns`, "/dashboard/login", "/dashboard/logout"]) {
      for (const [body, type] of bodies) {
        const res = await exports.default.fetch(
          new Request(`${ORIGIN}${path}`, { method: "POST", headers: { Cookie: browser.cookie!, Origin: ORIGIN, "Content-Type": type }, body, redirect: "manual" }),
        );
        expect(res.status, `${path} ${type}`).toBe(400);
        expect(await res.text()).toContain("invalid_request");
      }
    }
  });

  it("shows a new key's secret once: the answer carries it, the list never does", async () => {
    const { owner, browser } = await signedIn();
    const list = await browser.get(`/dashboard/${owner.teamId}/keys`);
    const created = await browser.post(`/dashboard/${owner.teamId}/keys`, { name: "checkout", type: "secret", scopes: "read:vouchers redeem:vouchers" }, { csrf: csrfOf(list) });
    expect(created.status).toBe(201);
    const secret = /<code>(vf_sk_test_[A-Za-z0-9]+)<\/code>/.exec(created.html)?.[1];
    expect(secret).toBeTruthy();
    expect((await call("GET", "/v1/vouchers", { token: secret })).status).toBe(200);
    const after = await browser.get(`/dashboard/${owner.teamId}/keys`);
    expect(after.html).toContain("checkout");
    expect(after.html).not.toContain(secret!);
  });
});

describe("dashboard approvals by role", () => {
  it("an owner approves an agent's held request; a developer sees it but gets no button and is refused", async () => {
    const { owner, browser } = await signedIn();
    const agent = await call("POST", "/v1/api-keys/agent", { token: owner.accessToken, body: { name: "agent", scopes: ["write:campaigns", "read:campaigns"] } });
    const held = await call("POST", "/v1/campaigns", { token: agent.body.key, body: { name: "Agent's sale", discount: { type: "percent", percent_off: 10 } } });
    expect(held.status).toBe(202);
    const approvalPath = `/dashboard/${owner.teamId}/approvals/${held.body.approval_id}`;

    const developer = await addMember(owner.accessToken, owner.teamId, "developer");
    const devBrowser = new Browser();
    await devBrowser.signIn(developer.email, developer.password);
    const devPage = await devBrowser.get(approvalPath);
    expect(devPage.status).toBe(200);
    expect(devPage.html).toContain("Agent&#39;s sale");
    expect(devPage.html).not.toContain("Approve and run");
    const devTry = await devBrowser.post(`${approvalPath}/approve`, {}, { csrf: csrfOf(devPage) });
    expect(devTry.status).toBe(403);

    const page = await browser.get(approvalPath);
    expect(page.html).toContain("POST /v1/campaigns");
    const approved = await browser.post(`${approvalPath}/approve`, {}, { csrf: csrfOf(page) });
    expect(approved.status).toBe(303);
    const after = await call("GET", `/v1/agent-approvals/${held.body.approval_id}`, { token: owner.accessToken });
    expect(after.body.status).toBe("executed");
    expect(after.body.decided_by).toBe(owner.userId);
  });

  it("approving an agent's webhook create shows the signing secret on the answer page, once; the approval page never does", async () => {
    const { owner, browser } = await signedIn();
    const agent = await call("POST", "/v1/api-keys/agent", { token: owner.accessToken, body: { name: "agent", scopes: ["write:webhooks", "read:webhooks"] } });
    const held = await call("POST", "/v1/webhooks", { token: agent.body.key, body: { url: hookUrl(hookPath()), events: ["*"] } });
    expect(held.status).toBe(202);
    const approvalPath = `/dashboard/${owner.teamId}/approvals/${held.body.approval_id}`;
    const page = await browser.get(approvalPath);
    const approved = await browser.post(`${approvalPath}/approve`, {}, { csrf: csrfOf(page) });
    expect(approved.status).toBe(200);
    const secret = /<code>(whsec_[A-Za-z0-9+/=]+)<\/code>/.exec(approved.html)?.[1];
    expect(secret).toBeTruthy();
    const { results } = await env.DB.prepare("SELECT secret FROM webhook_endpoints WHERE team_id = ?").bind(owner.teamId).all<{ secret: string }>();
    expect(results).toHaveLength(1);
    expect(await unseal(env.ENCRYPTION_KEY, results[0]!.secret)).toBe(secret);
    const again = await browser.get(approvalPath);
    expect(again.html).toContain("executed");
    expect(again.html).not.toContain(secret!);
  });
});
