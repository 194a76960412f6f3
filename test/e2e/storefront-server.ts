// Serves the storefront demo (src/dashboard/storefront/) on an origin of its own, as a shop's site would be: the
// browser tests start it on two ports (two origins), and `npm run storefront [port]` opens it locally.
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";

const DIR = new URL("../../src/dashboard/storefront/", import.meta.url).pathname;
const FILES: Record<string, [string, string]> = {
  "/": ["index.html", "text/html; charset=utf-8"],
  "/storefront.js": ["storefront.js", "text/javascript; charset=utf-8"],
  "/storefront.css": ["storefront.css", "text/css; charset=utf-8"],
};
// Its own scripts only; it may call any API origin (the API, not this page, decides who may read the answer).
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src http: https:; base-uri 'none'; form-action 'none'";

export async function serveStorefront(port = 0, host = "127.0.0.1"): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    const file = FILES[new URL(req.url ?? "/", "http://x").pathname];
    if (!file) return res.writeHead(404).end();
    res.writeHead(200, { "Content-Type": file[1], "Content-Security-Policy": CSP, "Cache-Control": "no-store" });
    res.end(readFileSync(join(DIR, file[0])));
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const { port: bound } = server.address() as AddressInfo;
  return { url: `http://${host}:${bound}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { url } = await serveStorefront(Number(process.argv[2] ?? 8788), "localhost");
  console.log(`Storefront demo on ${url}/?api=http://localhost:8787&key=<a publishable key allowing ${url}>`);
}
