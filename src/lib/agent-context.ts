// Vauchflow-Agent-Context: agent=<id>;client=<name@version>;prompt_fp=<8hex>;conv=<id>, at most 512 bytes.
import type { AgentContext } from "../env";

export const AGENTS = ["claude", "chatgpt", "gemini", "copilot", "cursor", "windsurf", "custom"] as const;
export const MAX_AGENT_CONTEXT_BYTES = 512;

const FIELDS: Record<string, RegExp> = {
  agent: new RegExp(`^(${AGENTS.join("|")})$`),
  client: /^[A-Za-z0-9._\/-]{1,100}@[A-Za-z0-9._+-]{1,50}$/,
  prompt_fp: /^[0-9a-f]{8}$/,
  conv: /^[A-Za-z0-9._:-]{1,128}$/,
};

/** The parsed header, or a reason it is refused. */
export function parseAgentContext(raw: string): { ok: true; value: AgentContext } | { ok: false; reason: string } {
  if (new TextEncoder().encode(raw).byteLength > MAX_AGENT_CONTEXT_BYTES) return { ok: false, reason: "longer than 512 bytes" };
  // A Map, and own properties of FIELDS only: a key such as "toString" or "__proto__" is unknown, not inherited.
  const seen = new Map<string, string>();
  for (const part of raw.split(";")) {
    const trimmed = part.trim();
    if (!trimmed) continue;
    const eq = trimmed.indexOf("=");
    if (eq <= 0) return { ok: false, reason: `"${trimmed.slice(0, 40)}" is not key=value` };
    const key = trimmed.slice(0, eq).trim();
    const value = trimmed.slice(eq + 1).trim();
    const pattern = Object.hasOwn(FIELDS, key) ? FIELDS[key] : undefined;
    if (!pattern) return { ok: false, reason: `unknown field "${key.slice(0, 40)}"` };
    if (seen.has(key)) return { ok: false, reason: `field "${key}" appears twice` };
    if (!pattern.test(value)) {
      return { ok: false, reason: key === "agent" ? `agent must be one of ${AGENTS.join(", ")}` : `field "${key}" has an invalid value` };
    }
    seen.set(key, value);
  }
  const agent = seen.get("agent");
  if (!agent) return { ok: false, reason: "agent is required" };
  return {
    ok: true,
    value: { agent, client: seen.get("client") ?? null, prompt_fp: seen.get("prompt_fp") ?? null, conv: seen.get("conv") ?? null },
  };
}
