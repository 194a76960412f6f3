// Counts the hops a request makes: every D1 query, Durable Object RPC and audit-queue send, through bindings
// wrapped around the real ones. Speed budgets are asserted as counts, never as timings.
import type { Env } from "../../src/env";

export type Counts = { d1: number; objects: string[]; queue: number };

/** Wraps the bindings so every D1 query, Durable Object RPC and queue send is counted. */
export function countingEnv(real: Env, counts: Counts): Env {
  const db = new Proxy(real.DB, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        if (prop === "prepare" || prop === "batch" || prop === "exec") counts.d1 += 1;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  const namespace = <N extends object>(ns: N, name: string): N =>
    new Proxy(ns, {
      get(target, prop) {
        const value = Reflect.get(target, prop);
        if (prop !== "get") return typeof value === "function" ? value.bind(target) : value;
        return (id: DurableObjectId) => {
          const stub = (target as unknown as DurableObjectNamespace).get(id);
          return new Proxy(stub, {
            get(s, method) {
              const fn = Reflect.get(s, method);
              if (typeof fn !== "function") return fn;
              return (...args: unknown[]) => {
                counts.objects.push(`${name}.${String(method)}`);
                return Reflect.apply(fn, s, args);
              };
            },
          });
        };
      },
    });
  const queue = new Proxy(real.AUDIT_QUEUE, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        counts.queue += 1;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return {
    ...real,
    DB: db,
    AUDIT_QUEUE: queue,
    CREDENTIALS: namespace(real.CREDENTIALS, "credential"),
    VOUCHERS: namespace(real.VOUCHERS, "voucher"),
    IDEMPOTENCY: namespace(real.IDEMPOTENCY, "idempotency"),
  };
}

