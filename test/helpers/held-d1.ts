// Writes that land out of order: a request sent to the worker with a D1 whose matching write waits until the test
// lets it go, so another request's write can land first, as two writes may arrive in production.
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import worker from "../../src/index";

/** Which write waits: the first `batch`, or the first statement whose SQL matches. */
export type HeldWrite = { batch: true } | { statement: RegExp };

export function heldD1(which: HeldWrite) {
  let reached!: () => void;
  let release!: () => void;
  const atD1 = new Promise<void>((resolve) => (reached = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  const held = async <T>(run: () => Promise<T>): Promise<T> => {
    reached();
    await released;
    return run();
  };
  const holdStatement = (statement: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(statement, {
      get(inner, prop) {
        if (prop === "bind") return (...args: unknown[]) => holdStatement(inner.bind(...args));
        if (prop === "run" || prop === "all" || prop === "raw" || prop === "first") {
          return (...args: unknown[]) => held(() => (inner[prop] as (...a: unknown[]) => Promise<unknown>)(...args));
        }
        const value: unknown = Reflect.get(inner, prop);
        return typeof value === "function" ? value.bind(inner) : value;
      },
    });
  const db = new Proxy(env.DB, {
    get(target, prop) {
      if (prop === "batch" && "batch" in which) return (statements: D1PreparedStatement[]) => held(() => target.batch(statements));
      if (prop === "prepare" && "statement" in which) {
        return (query: string) => (which.statement.test(query) ? holdStatement(target.prepare(query)) : target.prepare(query));
      }
      const value: unknown = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { db, atD1, release };
}

/**
 * Sends a request to the worker with `db` as its D1. `answer` settles with the response's status and JSON body;
 * `settled` once the request's waitUntil work is done as well.
 */
export function sendWithD1(db: D1Database, method: string, path: string, options: { token: string; body?: unknown }) {
  const request = new Request(`https://api.vauchflow.test${path}`, {
    method,
    headers: { Authorization: `Bearer ${options.token}`, "Content-Type": "application/json" },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const ctx = createExecutionContext();
  const answer = (async () => {
    const res = await worker.fetch(request, { ...env, DB: db }, ctx);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  })();
  const settled = answer.then(() => waitOnExecutionContext(ctx));
  return { answer, settled };
}
