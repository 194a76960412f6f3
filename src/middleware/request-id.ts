import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { onError } from "../errors";
import { newId } from "../lib/ids";

/** Every response, errors included, carries the id its logs and audit entries use. */
export const requestId = createMiddleware<AppEnv>(async (c, next) => {
  const id = newId("req");
  c.set("requestId", id);
  try {
    await next();
  } catch (err) {
    // Hono hands only Error instances to onError; anything else thrown still gets the one error shape.
    c.res = onError(err, c);
  }
  c.res.headers.set("Request-Id", id);
});
