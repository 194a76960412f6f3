// The HTTP side of the overlapped validate (services/validate-preview.ts): on POST /v1/vouchers/{code}/validate
// with a key that names its team, the body is read and held to the route's own schema, and the voucher's preview
// is asked while the key's object is still answering. The validate route takes it from the context.
import type { Context } from "hono";
import type { AppEnv } from "../env";
import { ValidateBody } from "../routes/vouchers/schema";
import { speculate } from "../services/validate-preview";

const VALIDATE_PATH = /^\/v1\/vouchers\/([^/]+)\/validate$/;
/** The media types the route's validator reads as JSON (hono/validator): any other body is not read here. */
const JSON_TYPE = /^application\/([\w.-]+\+)?json$/i;

/** Starts the preview for a validate request; does nothing for any other request. Never throws. */
export function speculateValidation(c: Context<AppEnv>, teamId: string): void {
  if (c.req.method !== "POST") return;
  const match = VALIDATE_PATH.exec(c.req.path);
  if (!match || !JSON_TYPE.test(c.req.header("Content-Type")?.split(";")[0]?.trim() ?? "")) return;
  const speculation = c.req
    .text()
    .then((text) => {
      // A body the route will refuse gets no preview: the route answers it as before.
      const parsed = ValidateBody.safeParse(JSON.parse(text));
      return parsed.success ? speculate(c, teamId, decodeURIComponent(match[1]!), parsed.data) : null;
    })
    .catch(() => null);
  c.set("validateSpeculation", speculation);
}
