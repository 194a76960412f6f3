// What the browser tests share: the worker in a local workerd (test/bench/server.ts's startApp), Debian's chromium
// through playwright-core (no browser download: .ci/run installs the chromium package), the API called from Node,
// and screenshots for a person to look at (git-ignored).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { startApp } from "../bench/server.ts";

export const SCREENSHOTS = new URL("./screenshots/", import.meta.url).pathname;
const CHROMIUM = "/usr/bin/chromium";
const ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}

/**
 * The API worker, reached as http://localhost:<port>: a secure context for Chromium, so the session cookie's
 * Secure flag is honoured over plain HTTP as it is over HTTPS in production.
 */
export async function startWorker() {
  const { appUrl, dispose } = await startApp({ outDir: join(new URL("../..", import.meta.url).pathname, "dist/e2e/app") });
  return { url: appUrl.replace("127.0.0.1", "localhost"), dispose };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

export type Api = <T = any>(method: string, path: string, options?: { token?: string; body?: unknown }) => Promise<{ status: number; body: T }>;

export function apiAt(base: string): Api {
  return async (method, path, options = {}) => {
    const headers: Record<string, string> = {};
    if (options.token) headers.Authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) headers["Content-Type"] = "application/json";
    const res = await fetch(`${base}${path}`, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
}
