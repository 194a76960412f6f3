// What a dashboard handler hands to a service verb, and how it reads a posted form.
import type { Context } from "hono";
import type { z } from "zod";
import type { AppEnv, ServiceContext } from "../env";
import { ApiError, validationError } from "../errors";
import type { IdPrefix } from "../lib/ids";
import { paginationQuery } from "../lib/pagination";
import { serviceContext } from "../routes/context";
import { fixable } from "./layout";
import { checkCsrf } from "./session";
import type { DashboardEnv } from "./types";

export type DashboardContext = Context<DashboardEnv>;

/**
 * The same ServiceContext a REST route builds (routes/context.ts), for the signed-in user in the chosen team. A form
 * has no Idempotency-Key to replay and a user's requests are never held for approval, so the request record is the
 * page's own.
 */
export function services(c: DashboardContext): ServiceContext {
  const api = c as unknown as Context<AppEnv>;
  return serviceContext(api, {
    request: { method: c.req.method, path: c.req.path, idempotencyKey: null, body: async () => null },
    storedAnswer: () => undefined,
    authorized: (teamId) => c.set("authorizedTeam", teamId),
  });
}

/** The posted body as form fields; a body the runtime cannot parse (broken multipart, no boundary) is the sender's mistake: 400. */
export async function parseForm(c: Context): Promise<Record<string, string | File>> {
  try {
    return await c.req.parseBody();
  } catch {
    throw new ApiError("invalid_request", "The form could not be read: send it as application/x-www-form-urlencoded or well-formed multipart/form-data.");
  }
}

/** The posted form's text fields, once its CSRF token matches the session's. */
export async function readForm(c: DashboardContext): Promise<Record<string, string>> {
  const body = await parseForm(c);
  await checkCsrf(c.env, c.get("session"), body._csrf);
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(body)) if (typeof value === "string" && name !== "_csrf") fields[name] = value.trim();
  return fields;
}

/** Parses what a form built with the API's own request schema: the same rules, the same error details. */
export function parseWith<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw validationError(parsed.error, "form");
  return parsed.data;
}

/** `?cursor` of a dashboard list: the next_cursor of one of its pages (ids with `prefix`), else 400. */
export function cursorOf(c: Context, prefix: IdPrefix): string | undefined {
  const value = c.req.query("cursor");
  return value ? parseWith(paginationQuery(prefix).pick({ cursor: true }), { cursor: value }).cursor : undefined;
}

/** An optional number field: empty means absent; anything else must be a number (the schema judges its range). */
export function numberField(value: string | undefined): number | undefined {
  if (value === undefined || value === "") return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : Number.NaN;
}

export const redirectTo = (c: DashboardContext, path: string, notice?: string) =>
  c.redirect(notice ? `${path}?notice=${notice}` : path, 303);

/** What a create form was sent with, and why it was refused: its page is shown again with the form as typed. */
export type Draft = { values: Record<string, string>; error: ApiError };

/**
 * A create form's post: `create` acts on the form; a refusal the user can fix by changing what they typed shows
 * `again` (the list page) with the form as typed and the reason, instead of an error page that loses it.
 */
export async function postCreateForm(c: DashboardContext, create: (form: Record<string, string>) => Promise<Response>, again: (draft: Draft) => Promise<Response>) {
  const form = await readForm(c);
  try {
    return await create(form);
  } catch (err) {
    if (fixable(err)) return again({ values: form, error: err });
    throw err;
  }
}
