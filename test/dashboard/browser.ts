// A form-posting client for the dashboard inside workerd: it keeps the session cookie and sends the Origin a
// browser would, so tests can also leave either out. Redirects are not followed: tests read where they lead.
import { exports } from "cloudflare:workers";

export const ORIGIN = "https://api.vauchflow.test";

export type Page = { status: number; html: string; headers: Headers; location: string | null };

export class Browser {
  cookie: string | null = null;

  async get(path: string): Promise<Page> {
    return this.send(new Request(`${ORIGIN}${path}`, { headers: this.headers(), redirect: "manual" }));
  }

  /** Posts a form, with the page's CSRF token unless `csrf` says otherwise, from `origin` (null: no Origin). */
  async post(path: string, fields: Record<string, string>, options: { csrf?: string | null; origin?: string | null } = {}): Promise<Page> {
    const headers = this.headers();
    const origin = options.origin === undefined ? ORIGIN : options.origin;
    if (origin !== null) headers.set("Origin", origin);
    const body = new URLSearchParams(fields);
    if (options.csrf !== null && options.csrf !== undefined) body.set("_csrf", options.csrf);
    return this.send(new Request(`${ORIGIN}${path}`, { method: "POST", headers, body, redirect: "manual" }));
  }

  async signIn(email: string, password: string): Promise<Page> {
    return this.post("/dashboard/login", { email, password });
  }

  private headers(): Headers {
    const headers = new Headers();
    if (this.cookie) headers.set("Cookie", this.cookie);
    return headers;
  }

  private async send(request: Request): Promise<Page> {
    const res = await exports.default.fetch(request);
    const setCookie = res.headers.get("Set-Cookie");
    if (setCookie) {
      const [pair] = setCookie.split(";");
      this.cookie = pair && !/=\s*$/.test(pair) ? pair : null;
    }
    return { status: res.status, html: await res.text(), headers: res.headers, location: res.headers.get("Location") };
  }
}

/** The CSRF token the page's forms carry. */
export function csrfOf(page: Page): string {
  const token = /name="_csrf" value="([^"]+)"/.exec(page.html)?.[1];
  if (!token) throw new Error("no CSRF token on the page");
  return token;
}
