// GET /docs: the API reference, rendered in the browser by the Scalar bundle the worker serves itself (a copy of the
// version package-lock.json pins, in the static assets: .ci/docs-assets.mjs). No CDN: it works offline and runs
// only the code this repository pinned. Scripts: this origin only. Styles: Scalar (Vue) writes inline style
// attributes and <style> elements at run time, which a nonce cannot cover, so this page alone allows inline styles.
import type { Context } from "hono";
import { raw } from "hono/html";
import type { AppEnv } from "../env";

export const SCALAR_BUNDLE = "/assets/vendor/scalar/standalone.js";

export const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function docsPage(c: Context<AppEnv>) {
  c.header("Content-Security-Policy", DOCS_CSP);
  c.header("X-Content-Type-Options", "nosniff");
  return c.html(
    <>
      {raw("<!DOCTYPE html>")}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
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
