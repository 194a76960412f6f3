// Copies the docs UI (the standalone bundle of @scalar/api-reference, pinned in package-lock.json) into the
// worker's static assets, so /docs loads it from the worker itself. The copy is git-ignored: npm install (postinstall),
// npm start, deploy and the tests make it from node_modules.
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";

const ROOT = join(dirname(new URL(import.meta.url).pathname), "..");
// The package exports no path to its browser build, so it is read from where npm installs it.
const source = join(ROOT, "node_modules/@scalar/api-reference/dist/browser/standalone.js");
const target = join(ROOT, "src/dashboard/public/assets/vendor/scalar/standalone.js");

mkdirSync(dirname(target), { recursive: true });
copyFileSync(source, target);
