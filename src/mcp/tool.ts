// What an MCP tool is: its input schema (composed from the REST route's own zod schemas), the scope that shows it
// in tools/list, annotations, and how it reaches its service verb. A write names the agent operation it is, and
// says which REST request it stands for; it then runs through the operation registry (services/operations.ts), the
// same code an approved request runs, so a tool, its REST route and an approval replay cannot differ.
import type { ToolAnnotations } from "@modelcontextprotocol/server";
import { z } from "zod";
import type { AgentOperation } from "../domain/approval-policy";
import type { Scope } from "../domain/scopes";
import type { ServiceContext } from "../env";
import { IDEMPOTENCY_KEY_PATTERN } from "../services/idempotency";

/** The REST request a write tool call stands for: what an approval stores and an idempotency_key is bound to. */
export type RestRequest = { method: "POST" | "PATCH" | "DELETE"; path: string; params?: Record<string, string>; body: Record<string, unknown> };

type Common<S extends z.ZodType> = {
  title: string;
  description: string;
  /** Shown in tools/list, and callable, only for a credential holding it. The verb checks it again. */
  scope: Scope;
  /** `readOnlyHint: true` also means a successful call is not audited as a change. */
  annotations: ToolAnnotations & { readOnlyHint: boolean };
  input: S;
};

type ToolSpec<S extends z.ZodType> = Common<S> &
  (
    | { name: string; run: (ctx: ServiceContext, args: z.output<S>) => Promise<unknown> }
    | { name: AgentOperation; rest: (args: z.output<S>) => RestRequest }
  );

/** A tool with its argument type erased, as the registry holds it (the SDK validates arguments with `input`). */
export type Tool = Common<z.ZodType> &
  (
    | { name: string; run: (ctx: ServiceContext, args: unknown) => Promise<unknown> }
    | { name: AgentOperation; rest: (args: unknown) => RestRequest }
  );

/** The optional argument of the writes that create something (the call reads it; `rest` leaves it out of the body). */
export const IdempotencyKeyArg = z
  .string()
  .regex(IDEMPOTENCY_KEY_PATTERN, "must be 1–255 visible ASCII characters, no spaces")
  .optional()
  .describe(
    "Like REST's Idempotency-Key, scoped to your credential and kept 24 hours: a retry with the same key and the same arguments returns the first result instead of acting again; the same key with other arguments is refused.",
  );

export function defineTool<S extends z.ZodType>(spec: ToolSpec<S>): Tool {
  return spec as unknown as Tool;
}

/** Path segments are encoded as a REST client would send them. */
export const segment = (value: string) => encodeURIComponent(value);
