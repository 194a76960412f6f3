// Webhook signatures (API.md §9), two headers over the same bytes, one signature per live secret:
//   Vauchflow-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(key = the whole secret string, "<t>.<body>")>[,v1=…]
//   webhook-id / webhook-timestamp / webhook-signature: the Standard Webhooks headers, `v1,<base64 HMAC-SHA256(
//     key = base64-decoded secret after "whsec_", "<id>.<t>.<body>")>`, space-separated.
// Secrets are `whsec_` + base64 of 32 random bytes, so the standard libraries accept them as they are.
import { toHex } from "./crypto";

const encoder = new TextEncoder();
const SECRET_PREFIX = "whsec_";

const toBase64 = (bytes: Uint8Array) => btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(""));
const fromBase64 = (text: string) => Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0));

export function newWebhookSecret(): string {
  return SECRET_PREFIX + toBase64(crypto.getRandomValues(new Uint8Array(32)));
}

async function hmac(key: Uint8Array, message: string): Promise<Uint8Array> {
  const imported = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", imported, encoder.encode(message)));
}

export type SignedHeaders = {
  "Vauchflow-Signature": string;
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
};

/** The signature headers of one attempt: `secrets` are the live ones, newest first; `timestamp` in unix seconds. */
export async function signatureHeaders(secrets: readonly string[], eventId: string, timestamp: number, body: string): Promise<SignedHeaders> {
  const t = String(timestamp);
  const vauchflow: string[] = [];
  const standard: string[] = [];
  for (const secret of secrets) {
    vauchflow.push(`v1=${toHex(await hmac(encoder.encode(secret), `${t}.${body}`))}`);
    standard.push(`v1,${toBase64(await hmac(fromBase64(secret.slice(SECRET_PREFIX.length)), `${eventId}.${t}.${body}`))}`);
  }
  return {
    "Vauchflow-Signature": [`t=${t}`, ...vauchflow].join(","),
    "webhook-id": eventId,
    "webhook-timestamp": t,
    "webhook-signature": standard.join(" "),
  };
}
