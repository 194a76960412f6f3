// The edge model of the benchmark (test/bench/edge-model.ts): in front of a built worker, every Durable Object
// call waits `hop` milliseconds before it is made (a request to the bench's delay server, or a timer without
// one), as a call to an object elsewhere waits on the network at the edge. Local workerd runs the worker and all its objects on one thread, so two calls made at once cost the same
// CPU as two in a row and their overlap cannot show; with a hop, calls made at once wait once and calls made in
// a row wait once each. Applies alike to the API worker and to the floor, to the worker's own calls and to calls
// between objects. Bench only: this file is copied next to a bench build and never deployed.
let hop = 0;
/** When set, a hop is a request to this local server, which answers after `ms` (Node's timers are steadier). */
let delayUrl = null;

const wait = (ms) =>
  delayUrl ? fetch(`${delayUrl}?ms=${ms}`).then((r) => r.arrayBuffer()) : new Promise((resolve) => setTimeout(resolve, ms));

/** A stub whose every call (RPC method or fetch) first waits the hop; its id and name stay as they are. */
function hopStub(stub) {
  return new Proxy(stub, {
    get(target, prop) {
      if (prop === "id" || prop === "name" || typeof prop === "symbol") return target[prop];
      return async (...args) => {
        if (hop > 0) await wait(hop);
        return target[prop](...args);
      };
    },
  });
}

function hopNamespace(namespace) {
  return new Proxy(namespace, {
    get(target, prop) {
      if (prop === "get" || prop === "getByName") return (...args) => hopStub(target[prop](...args));
      const value = target[prop];
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

const wrapped = new WeakMap();

/** The bindings with every Durable Object namespace behind the hop. */
export function hopEnv(env) {
  let out = wrapped.get(env);
  if (!out) {
    out = {};
    for (const [name, value] of Object.entries(env)) {
      out[name] = value && typeof value === "object" && typeof value.idFromName === "function" ? hopNamespace(value) : value;
    }
    wrapped.set(env, out);
  }
  return out;
}

/** The worker's handlers over the hop; `POST /__edge/hop?ms=N&via=<delay server>` sets the hop for what follows. */
export function hopWorker(worker) {
  const handlers = {
    fetch(request, env, ctx) {
      const url = new URL(request.url);
      if (url.pathname === "/__edge/hop" && request.method === "POST") {
        hop = Number(url.searchParams.get("ms") ?? 0);
        delayUrl = url.searchParams.get("via");
        return new Response(JSON.stringify({ hop }), { headers: { "content-type": "application/json" } });
      }
      return worker.fetch(request, hopEnv(env), ctx);
    },
  };
  if (worker.queue) handlers.queue = (batch, env, ctx) => worker.queue(batch, hopEnv(env), ctx);
  if (worker.scheduled) handlers.scheduled = (controller, env, ctx) => worker.scheduled(controller, hopEnv(env), ctx);
  return handlers;
}
