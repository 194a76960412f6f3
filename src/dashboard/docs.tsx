// GET /docs: the API reference, rendered in the browser by the Scalar bundle the worker serves itself (a copy of the
// version package-lock.json pins, in the static assets: .ci/docs-assets.mjs). No CDN: it works offline and runs
// only the code this repository pinned. Scalar injects its stylesheet at run time and reads the CSP nonce for it
// from a meta tag, so styles need no 'unsafe-inline'.
import type { Context } from "hono";
import { raw } from "hono/html";
import type { AppEnv } from "../env";
import { randomToken } from "../lib/crypto";

export const SCALAR_BUNDLE = "/assets/vendor/scalar/standalone.js";

export function docsCsp(nonce: string): string {
  return `default-src 'none'; script-src 'self'; style-src 'self' 'nonce-${nonce}'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
}

export function docsPage(c: Context<AppEnv>) {
  const nonce = randomToken(16);
  c.header("Content-Security-Policy", docsCsp(nonce));
  c.header("X-Content-Type-Options", "nosniff");
  return c.html(
    <>
      {raw("<!DOCTYPE html>")}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <meta property="csp-nonce" content={nonce} />
          <title>Vauchflow API reference</title>
        </head>
        <body>
          <div id="app" data-openapi-url="/openapi.json"></div>
          <noscript>The reference needs JavaScript; the document itself is at /openapi.json.</noscript>
          <script src={SCALAR_BUNDLE}></script>
          <script src="/assets/docs.js"></script>
        </body>
      </html>
    </>,
  );
}
