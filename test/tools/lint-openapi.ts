// `npm run lint:openapi`: lints the OpenAPI document exactly as the worker serves it. The worker is built as a
// deploy would build it (wrangler --dry-run), asked for /openapi.json inside a local workerd (Miniflare, no port
// and no bindings: that route reads none), and the answer is linted with Redocly's `recommended` rules
// (test/tools/redocly.yaml). Any error or warning fails: the contract stays clean, not merely valid.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";

const ROOT = new URL("../..", import.meta.url).pathname;
const OUT = join(ROOT, "dist/openapi");
const DOC = join(OUT, "openapi.json");
// The origin the tests use; a served document names whatever origin served it.
const ORIGIN = "https://api.vauchflow.test";

type Problem = { ruleId: string; severity: "error" | "warn"; message: string; location: { pointer: string }[] };
type Report = { totals: { errors: number; warnings: number; ignored: number }; problems: Problem[] };

function buildWorker(): string {
  rmSync(join(OUT, "worker"), { recursive: true, force: true });
  // A local build only: no account, no telemetry.
  const env = { ...process.env, WRANGLER_SEND_METRICS: "false" };
  execFileSync("npx", ["wrangler", "deploy", "--dry-run", "--outdir", join(OUT, "worker")], { cwd: ROOT, stdio: "pipe", env });
  return join(OUT, "worker", readdirSync(join(OUT, "worker")).find((f) => f.endsWith(".js"))!);
}

async function fetchDocument(scriptPath: string): Promise<string> {
  const toml = readFileSync(join(ROOT, "wrangler.toml"), "utf8");
  const compatibilityDate = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1];
  if (!compatibilityDate) throw new Error("no compatibility_date in wrangler.toml");
  const mf = new Miniflare(convertV4MiniflareOptions({ modules: true, scriptPath, compatibilityDate, compatibilityFlags: ["nodejs_compat"] }));
  try {
    const res = await mf.dispatchFetch(`${ORIGIN}/openapi.json`);
    const text = await res.text();
    if (res.status !== 200) throw new Error(`GET /openapi.json answered ${res.status}: ${text.slice(0, 500)}`);
    // Pretty-printed, so any line numbers Redocly reports are readable.
    return JSON.stringify(JSON.parse(text), null, 2);
  } finally {
    await mf.dispose();
  }
}

function lint(): Report {
  // Redocly exits non-zero on errors only; the JSON report counts warnings too, and this script decides.
  const out = execFileSync("npx", ["redocly", "lint", "--config", join(ROOT, "test/tools/redocly.yaml"), "--format=json", "--max-problems=1000", DOC], {
    cwd: ROOT,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: 64 * 1024 * 1024,
  }).toString();
  return JSON.parse(out) as Report;
}

mkdirSync(OUT, { recursive: true });
writeFileSync(DOC, await fetchDocument(buildWorker()));
let report: Report;
try {
  report = lint();
} catch (err) {
  // Exit status 1 with errors in the report: the report is still on stdout.
  const stdout = (err as { stdout?: string }).stdout;
  if (!stdout) throw err;
  report = JSON.parse(stdout) as Report;
}
for (const p of report.problems) console.log(`${p.severity.padEnd(5)} ${p.ruleId}  ${p.location[0]?.pointer ?? ""}\n      ${p.message}`);
const { errors, warnings, ignored } = report.totals;
console.log(`${DOC.slice(ROOT.length)}: ${errors} errors, ${warnings} warnings${ignored ? ` (${ignored} ignored)` : ""}`);
process.exit(errors + warnings === 0 ? 0 : 1);
