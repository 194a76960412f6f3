// Builds the API worker and the floor worker with wrangler, and runs both in one local workerd through
// Miniflare's API (no wrangler dev proxy in front), with local D1, Durable Objects and Queues.
import { execFileSync } from "node:child_process";
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare } from "miniflare";

const ROOT = new URL("../..", import.meta.url).pathname;
const OUT = join(ROOT, "dist/bench");
/** The bench deployment's key-check secret: the latency runs mint a key in the format issued before keys named their team. */
export const BENCH_KEY_CHECK_SECRET = "bench-only-key-check-0123456789abcdef0123456789";
/**
 * A SQLite-backed Durable Object class. Not kept from eviction: locally every object lives in the one isolate, so
 * keeping the thousands of a spread run in memory grows the heap that every later run collects (tried: workerd's
 * memory went from about 1.2 to 2 GiB and validate lost a third of its throughput in the runs after the spreads).
 */
const sqlite = (className: string) => ({ className, useSQLite: true });
const COMPATIBILITY = { compatibilityDate: "2026-10-20", compatibilityFlags: ["nodejs_compat"] };

function build(config: string, outdir: string): string {
  execFileSync("npx", ["wrangler", "deploy", "--dry-run", "-c", config, "--outdir", outdir], { cwd: ROOT, stdio: "pipe" });
  return join(outdir, readdirSync(outdir).find((f) => f.endsWith(".js") && f !== HOP_ENTRY && f !== "hops.js")!);
}

const HOP_ENTRY = "edge-entry.js";

/**
 * The edge model's entry in front of a built worker (test/bench/edge/hops.js): the same handlers and Durable
 * Object classes, with every object call waiting the hop set through `POST /__edge/hop?ms=N`.
 */
function withHops(script: string, classes: string[]): string {
  const dir = dirname(script);
  copyFileSync(join(ROOT, "test/bench/edge/hops.js"), join(dir, "hops.js"));
  const entry = [
    `import * as built from "./${basename(script)}";`,
    `import { hopEnv, hopWorker } from "./hops.js";`,
    `export default hopWorker(built.default);`,
    ...classes.map((name) => `export class ${name} extends built.${name} { constructor(ctx, env) { super(ctx, hopEnv(env)); } }`),
  ].join("\n");
  writeFileSync(join(dir, HOP_ENTRY), `${entry}\n`);
  return join(dir, HOP_ENTRY);
}

/** Miniflare's module list for a worker: the script, and the hop shim and the built bundle behind it when wrapped. */
function scriptModules(script: string, wrapped: boolean) {
  if (!wrapped) return { modules: true, scriptPath: script };
  const dir = dirname(script);
  return {
    modules: readdirSync(dir)
      .filter((f) => f.endsWith(".js"))
      .map((f) => ({ type: "ESModule" as const, path: join(dir, f) }))
      .sort((a, b) => (a.path === script ? -1 : b.path === script ? 1 : 0)),
    modulesRoot: dir,
  };
}

/** A line the API worker logged (console.*), or Miniflare's queue broker, with when the benchmark received it. */
export type LogLine = { at: number; level: string; message: string };

/**
 * Miniflare's own log, passed on as lines: its queue broker logs one `QUEUE <name> <acked>/<total>` line per
 * delivery, which is how the benchmark counts the audit consumer's D1 transactions (one per delivery).
 */
class ForwardingLog extends Log {
  private readonly onLine: (line: LogLine) => void;

  constructor(onLine: (line: LogLine) => void) {
    super(LogLevel.INFO);
    this.onLine = onLine;
  }

  override logWithLevel(level: LogLevel, message: string) {
    // eslint-disable-next-line no-control-regex
    const plain = message.replace(/\x1b\[[0-9;]*m/g, "");
    if (plain.startsWith("QUEUE ")) this.onLine({ at: performance.now(), level: "info", message: plain });
    else if (level <= LogLevel.WARN) super.logWithLevel(level, message);
  }
}

/** Local workerd options of the API worker, as wrangler.toml declares it (the top level, which behaves as staging). */
function appWorker(scriptPath: string, hops = false) {
  return {
    name: "vauchflow",
    ...scriptModules(hops ? withHops(scriptPath, ["CampaignObject", "CredentialObject", "IdempotencyObject", "VoucherObject"]) : scriptPath, hops),
    ...COMPATIBILITY,
    bindings: { ENVIRONMENT: "staging", SIGNUP_ENABLED: "true", JWT_SECRET: "bench-only-secret-0123456789abcdef0123456789", KEY_CHECK_SECRET: BENCH_KEY_CHECK_SECRET, ENCRYPTION_KEY: "bench-only-encryption-0123456789abcdef0123456789", PASSWORD_KDF_ITERATIONS: "1000" },
    d1Databases: { DB: "bench" },
    durableObjects: {
      CREDENTIALS: sqlite("CredentialObject"),
      IDEMPOTENCY: sqlite("IdempotencyObject"),
      VOUCHERS: sqlite("VoucherObject"),
      CAMPAIGNS: sqlite("CampaignObject"),
    },
    // The pages' static files (wrangler.toml [assets]): the dashboard's stylesheet and scripts, the docs UI.
    assets: { directory: join(ROOT, "src/dashboard/public"), routerConfig: { has_user_worker: true } },
    queueProducers: {
      BULK_QUEUE: "vauchflow-bulk-local",
      WEBHOOK_QUEUE: "vauchflow-webhooks-local",
      AUDIT_QUEUE: "vauchflow-audit-local",
      AUDIT_DLQ: "vauchflow-audit-dlq-local",
      LEDGER_QUEUE: "vauchflow-ledger-local",
      LEDGER_DLQ: "vauchflow-ledger-dlq-local",
    },
    queueConsumers: {
      "vauchflow-bulk-local": { maxBatchSize: 5, maxBatchTimeout: 1, maxRetries: 10, deadLetterQueue: "vauchflow-bulk-dlq-local" },
      "vauchflow-bulk-dlq-local": { maxBatchSize: 100, maxBatchTimeout: 5, maxRetries: 100 },
      "vauchflow-audit-local": { maxBatchSize: 100, maxBatchTimeout: 1, maxRetries: 100, deadLetterQueue: "vauchflow-audit-dlq-local" },
      "vauchflow-audit-dlq-local": { maxBatchSize: 100, maxBatchTimeout: 5, maxRetries: 100 },
      "vauchflow-ledger-local": { maxBatchSize: 100, maxBatchTimeout: 1, maxRetries: 30, deadLetterQueue: "vauchflow-ledger-dlq-local" },
      "vauchflow-ledger-dlq-local": { maxBatchSize: 100, maxBatchTimeout: 5, maxRetries: 100 },
    },
  };
}

async function applyMigrations(app: Miniflare) {
  const db = await app.getD1Database("DB", "vauchflow");
  for (const file of readdirSync(join(ROOT, "migrations")).filter((f) => f.endsWith(".sql")).sort()) {
    for (const statement of readFileSync(join(ROOT, "migrations", file), "utf8").split("--> statement-breakpoint")) {
      if (statement.trim()) await db.prepare(statement).run();
    }
  }
}

const origin = (u: URL) => u.toString().replace(/\/$/, "");

/**
 * The API worker alone, built as a deploy builds it, in a local workerd with D1 migrated, Durable Objects, Queues
 * and static assets: what the browser tests (test/e2e/) drive. `host` is what it listens on.
 */
export async function startApp(options: { host?: string; outDir?: string } = {}) {
  const appScript = build("wrangler.toml", options.outDir ?? join(OUT, "app"));
  const app = new Miniflare(convertV4MiniflareOptions({ host: options.host ?? "127.0.0.1", port: 0, workers: [appWorker(appScript)] }));
  const appUrl = origin(await app.ready);
  await applyMigrations(app);
  return { appUrl, dispose: () => app.dispose() };
}

/** `hops`: the edge model, every Durable Object call of both workers waiting the hop set on each (test/bench/edge/hops.js). */
export async function startServers(options: { inspectorPort?: number; onLog?: (line: LogLine) => void; hops?: boolean } = {}) {
  const hops = options.hops ?? false;
  const appScript = build("wrangler.toml", join(OUT, hops ? "app-edge" : "app"));
  const floorScript = build("test/bench/floor/wrangler.toml", join(OUT, hops ? "floor-edge" : "floor"));
  const app = new Miniflare(convertV4MiniflareOptions({
    host: "127.0.0.1",
    port: 0,
    ...(options.onLog ? { log: new ForwardingLog(options.onLog) } : {}),
    ...(options.inspectorPort ? { inspectorPort: options.inspectorPort } : {}),
    // The worker's own lines (the queue consumers log one per D1 write): counted by the benchmark, warnings shown.
    handleStructuredLogs: ({ level, message }) => {
      options.onLog?.({ at: performance.now(), level, message });
      if (level === "error" || level === "warn") process.stderr.write(`${message}\n`);
    },
    workers: [appWorker(appScript, hops)],
  }));
  const floor = new Miniflare(convertV4MiniflareOptions({
    host: "127.0.0.1",
    port: 0,
    ...scriptModules(hops ? withHops(floorScript, ["FloorObject"]) : floorScript, hops),
    ...COMPATIBILITY,
    durableObjects: { FLOOR: sqlite("FloorObject") },
  }));
  const [appUrl, floorUrl] = await Promise.all([app.ready, floor.ready]);
  await applyMigrations(app);
  let disposed: Promise<unknown> | undefined;
  return {
    appUrl: origin(appUrl),
    floorUrl: origin(floorUrl),
    appScript,
    /** The app's D1, for seeding what would take too long through the API (50,000 redemptions for the report). */
    appD1: () => app.getD1Database("DB"),
    /** Safe to call twice (the bench stops these servers before the edge model starts its own). */
    dispose: () => (disposed ??= Promise.all([app.dispose(), floor.dispose()])),
  };
}
