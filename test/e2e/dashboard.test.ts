// The dashboard, the storefront demo and /docs in a real browser (Debian's chromium), against the built worker in
// a local workerd. Each test makes its own account; screenshots land in test/e2e/screenshots/.
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Api, apiAt, launchChromium, screenshot, startWorker } from "./browser.ts";
import { serveStorefront } from "./storefront-server.ts";
import { pollUntil } from "../helpers/poll.ts";

/** What the browser waits for passes through queues and a local workerd on a possibly loaded machine: be patient. */
const PATIENCE_MS = 60_000;

let worker: Awaited<ReturnType<typeof startWorker>>;
let browser: Browser;
let api: Api;
const contexts: BrowserContext[] = [];
let counter = 0;

beforeAll(async () => {
  worker = await startWorker();
  api = apiAt(worker.url);
  browser = await launchChromium();
});

afterAll(async () => {
  await Promise.all(contexts.map((context) => context.close()));
  await browser?.close();
  await worker?.dispose();
});

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(PATIENCE_MS);
  contexts.push(context);
  return context.newPage();
}

/** A new account (sign-up through the API), signed in to the dashboard through its form. */
async function signedIn() {
  const email = `e2e${Date.now()}${++counter}@example.com`;
  const password = "correct horse battery";
  const signup = await api("POST", "/v1/auth/signup", { body: { email, password, team_name: `E2E shop ${counter}` } });
  expect(signup.status).toBe(201);
  const page = await newPage();
  await page.goto(`${worker.url}/dashboard`);
  expect(new URL(page.url()).pathname).toBe("/dashboard/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/dashboard\/team_[^/]+\/campaigns$/);
  const teamId = signup.body.team.id as string;
  const key = await api("POST", "/v1/api-keys", { token: signup.body.access_token, body: { name: "e2e server", type: "secret" } });
  return { page, teamId, token: signup.body.access_token as string, secret: key.body.key as string };
}

describe("dashboard", () => {
  it("signs in with a session cookie the page's script cannot read", async () => {
    const { page } = await signedIn();
    await screenshot(page, "01-campaigns-empty");
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === "vf_dashboard");
    expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: "Strict", path: "/dashboard" });
    expect(await page.evaluate(() => document.cookie)).toBe("");
    expect(await page.evaluate(() => Object.keys(localStorage))).toEqual([]);
  });

  it("creates a campaign and shows its stats change after a redemption, without a reload", async () => {
    const { page, secret } = await signedIn();
    await page.getByLabel("Name").fill("Spring sale");
    await page.locator("select[name=discount_type]").selectOption("percent");
    await page.getByLabel("Value (percent, or amount in cents)").fill("20");
    await page.getByLabel("Currency").fill("EUR");
    await page.getByRole("button", { name: "Create campaign" }).click();
    await page.waitForURL(/\/campaigns\/cmp_[^/?]+\?notice=campaign_created$/);
    const campaignId = /\/campaigns\/(cmp_[^/?]+)/.exec(page.url())![1];
    expect(await page.locator('[data-stat="redemptions_count"]').textContent()).toBe("0");
    await screenshot(page, "02-campaign-created");

    await page.evaluate(() => Object.assign(window, { loadedOnce: true }));
    const voucher = await api("POST", "/v1/vouchers", { token: secret, body: { code: "SPRING-E2E", campaign_id: campaignId } });
    expect(voucher.status).toBe(201);
    const redeemed = await api("POST", "/v1/vouchers/SPRING-E2E/redeem", { token: secret, body: { customer_id: "cus-1", order: { id: "ord-1", amount: 10000, currency: "EUR" } } });
    expect(redeemed.status).toBe(201);
    await page.waitForFunction(() => document.querySelector('[data-stat="redemptions_count"]')?.textContent === "1", null, { timeout: PATIENCE_MS });
    expect(await page.locator('[data-stat="discount_total"]').textContent()).toBe("20.00 EUR");
    expect(await page.locator('[data-stat="vouchers_count"]').textContent()).toBe("1");
    // The same document: the script updated it in place.
    expect(await page.evaluate(() => (window as unknown as { loadedOnce?: boolean }).loadedOnce)).toBe(true);
    await screenshot(page, "03-campaign-stats-live");
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, "04-campaign-phone");
    await page.setViewportSize({ width: 1280, height: 800 });

    await page.getByRole("button", { name: "Pause campaign" }).click();
    await page.waitForURL(/notice=campaign_paused$/);
    expect(await page.locator('[data-stat="status"]').textContent()).toBe("paused");

    // The voucher's page lists the redemption once the ledger has reached D1 (a moment after the checkout path).
    await page.goto(`${page.url().replace(/\/campaigns\/.*$/, "")}/vouchers?code=SPRING`);
    await page.getByRole("link", { name: "SPRING-E2E" }).click();
    await pollUntil(() => page.getByText("ord-1").count(), (n) => n > 0, { timeoutMs: PATIENCE_MS, intervalMs: 500, between: () => page.reload() });
    expect(await page.getByRole("cell", { name: "ord-1" }).count()).toBe(1);
    await screenshot(page, "05-voucher-history");
  });

  it("approves an agent's queued request, which then runs", async () => {
    const { page, teamId, token } = await signedIn();
    const agent = await api("POST", "/v1/api-keys/agent", { token, body: { name: "claude: promotions", scopes: ["read:campaigns", "write:campaigns"] } });
    const held = await api("POST", "/v1/campaigns", { token: agent.body.key, body: { name: "Agent's autumn sale", discount: { type: "percent", percent_off: 15 } } });
    expect(held.status).toBe(202);
    expect((await api("GET", "/v1/campaigns", { token })).body.data).toEqual([]);

    await page.getByRole("link", { name: "Approvals" }).click();
    await page.getByRole("link", { name: "POST /v1/campaigns" }).click();
    expect(await page.getByTestId("approval-body").textContent()).toContain("Agent's autumn sale");
    await screenshot(page, "06-approval-pending");
    await page.getByRole("button", { name: "Approve and run" }).click();
    await page.waitForURL(/notice=approved$/);
    expect(await page.locator("h1 .status").textContent()).toBe("executed");
    await screenshot(page, "07-approval-executed");
    const campaigns = await api("GET", "/v1/campaigns", { token });
    expect(campaigns.body.data.map((c: { name: string }) => c.name)).toEqual(["Agent's autumn sale"]);
    expect(teamId).toMatch(/^team_/);
  });

  it("creates a key whose secret is shown once, and revokes it", async () => {
    const { page } = await signedIn();
    await page.getByRole("link", { name: "API keys" }).click();
    await page.getByLabel("Name").fill("Checkout server");
    await page.locator("select[name=type]").selectOption("secret");
    await page.getByRole("button", { name: "Create key" }).click();
    const secret = (await page.getByTestId("new-secret").textContent())?.trim() ?? "";
    expect(secret).toMatch(/^vf_sk_test_/);
    await screenshot(page, "08-key-created");
    expect((await api("GET", "/v1/vouchers", { token: secret })).status).toBe(200);

    await page.getByRole("link", { name: "Back to API keys" }).click();
    expect(await page.content()).not.toContain(secret);
    const row = page.locator("tr", { hasText: "Checkout server" });
    // Revoking cannot be undone: the page asks first, and a "no" sends nothing.
    const asked: string[] = [];
    page.once("dialog", (dialog) => {
      asked.push(dialog.message());
      void dialog.dismiss();
    });
    await row.getByRole("button", { name: "Revoke" }).click();
    expect(asked).toEqual([expect.stringContaining('Revoke "Checkout server"?')]);
    await page.reload();
    expect(await page.locator("tr", { hasText: "Checkout server" }).count()).toBe(1);
    expect((await api("GET", "/v1/vouchers", { token: secret })).status).toBe(200);
    page.once("dialog", (dialog) => void dialog.accept());
    await page.locator("tr", { hasText: "Checkout server" }).getByRole("button", { name: "Revoke" }).click();
    await page.waitForURL(/notice=key_revoked$/);
    expect(await page.locator("tr", { hasText: "Checkout server" }).count()).toBe(0);
    await screenshot(page, "09-key-revoked");
    expect((await api("GET", "/v1/vouchers", { token: secret })).status).toBe(401);
  });
});

describe("storefront demo", () => {
  it("validates a code across origins with a publishable key; another origin is refused", async () => {
    const shop = await serveStorefront();
    const elsewhere = await serveStorefront();
    try {
      const { token, secret } = await signedIn();
      const pk = await api("POST", "/v1/api-keys", { token, body: { name: "storefront", type: "publishable", allowed_origins: [shop.url] } });
      expect(pk.status).toBe(201);
      await api("POST", "/v1/vouchers", { token: secret, body: { code: "WELCOME-10", discount: { type: "amount", amount_off: 1000 }, currency: "EUR" } });
      await api("POST", "/v1/vouchers", { token: secret, body: { code: "BIG-ORDERS", discount: { type: "percent", percent_off: 10 }, rules: { min_order_amount: 100000 } } });
      const query = `?api=${encodeURIComponent(worker.url)}&key=${encodeURIComponent(pk.body.key)}&amount=5000&currency=EUR`;

      const page = await newPage();
      await page.goto(`${shop.url}/${query}`);
      const apply = async (code: string) => {
        await page.getByLabel("Discount code").fill(code);
        await page.getByRole("button", { name: "Apply" }).click();
        await page.waitForFunction(() => !["", "pending"].includes(document.getElementById("result")!.className));
        return { kind: await page.locator("#result").getAttribute("class"), text: await page.locator("#result").textContent() };
      };
      expect(await apply("welcome-10")).toEqual({ kind: "valid", text: "WELCOME-10: 10.00 EUR off. You pay 40.00 EUR." });
      await screenshot(page, "10-storefront-valid");
      const notApplicable = await apply("BIG-ORDERS");
      expect(notApplicable.kind).toBe("invalid");
      expect(notApplicable.text).toMatch(/^BIG-ORDERS does not apply: .+ \(order_below_minimum\)$/);
      await screenshot(page, "11-storefront-reason");
      expect((await apply("NO-SUCH-CODE")).text).toMatch(/\(voucher_not_found\)$/);

      const other = await newPage();
      await other.goto(`${elsewhere.url}/${query}`);
      await other.getByLabel("Discount code").fill("WELCOME-10");
      await other.getByRole("button", { name: "Apply" }).click();
      await other.waitForFunction(() => document.getElementById("result")!.className === "refused");
      await screenshot(other, "12-storefront-other-origin-refused");
      // The refusal is the API's CORS answer, not an unreachable API: the preflight names the origin and is refused.
      const preflight = (origin: string) =>
        fetch(`${worker.url}/v1/vouchers/WELCOME-10/validate`, {
          method: "OPTIONS",
          headers: { Origin: origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type" },
        });
      const refused = await preflight(elsewhere.url);
      expect(refused.status).toBe(403);
      expect(refused.headers.get("Access-Control-Allow-Origin")).toBeNull();
      expect((await preflight(shop.url)).headers.get("Access-Control-Allow-Origin")).toBe(shop.url);
    } finally {
      await Promise.all([shop.close(), elsewhere.close()]);
    }
  });
});

describe("/docs", () => {
  it("renders the operations from the worker alone, without the internet", async () => {
    const page = await newPage();
    const elsewhere: string[] = [];
    const violations: string[] = [];
    // Anything not from the worker is refused, as it would be offline.
    await page.route("**/*", (route) => {
      if (new URL(route.request().url()).origin === worker.url) return route.continue();
      elsewhere.push(route.request().url());
      return route.abort();
    });
    page.on("console", (message) => {
      if (/Content.Security.Policy/i.test(message.text())) violations.push(message.text());
    });
    await page.goto(`${worker.url}/docs`);
    await page.getByText("Vauchflow API", { exact: true }).first().waitFor({ timeout: PATIENCE_MS });
    await page.getByText("Liveness check").first().waitFor();
    await page.getByText("Vouchers", { exact: true }).first().click();
    await page.getByText("Validate a code for an order").first().waitFor();
    await screenshot(page, "13-docs");
    expect(elsewhere).toEqual([]);
    expect(violations).toEqual([]);
  });
});
