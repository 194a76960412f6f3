import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { newId } from "../lib/ids";

/** Every response, errors included, carries the id its logs and audit entries use. */
export const requestId = createMiddleware<AppEnv>(async (c, next) => {
  const id = newId("req");
  c.set("requestId", id);
  await next();
  c.res.headers.set("Request-Id", id);
});
