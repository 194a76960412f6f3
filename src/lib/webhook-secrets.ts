// The replaced secrets of a webhook endpoint (API.md §9): each signs, next to the current one, until its own expiry.
// A rotation during a rotation leaves several, so `previous_secret` holds them all, sealed together as JSON
// `[{secret, expires_at}]` newest first; `previous_secret_expires_at` is the latest of their expiries (nothing
// signs past it). A row written before this format holds one sealed secret that expires at that column.
import { seal, unseal } from "./sealing";

export type ReplacedSecret = { secret: string; expires_at: number };

/** The replaced secrets stored in a row, newest first, live or not; null when the value cannot be unsealed. */
export async function readReplacedSecrets(encryptionKey: string, sealed: string | null, expiresAt: number | null): Promise<ReplacedSecret[] | null> {
  if (!sealed || expiresAt === null) return [];
  const plain = await unseal(encryptionKey, sealed);
  if (plain === null) return null;
  if (!plain.startsWith("[")) return [{ secret: plain, expires_at: expiresAt }];
  return (JSON.parse(plain) as ReplacedSecret[]).map((s) => ({ secret: s.secret, expires_at: Math.min(s.expires_at, expiresAt) }));
}

/** Those still signing at `now` (a secret stops exactly at its expiry), newest first. */
export const liveReplacedSecrets = (secrets: readonly ReplacedSecret[], now: number) => secrets.filter((s) => s.expires_at > now);

/** The columns for a list of replaced secrets: nulls when there is none. */
export async function sealReplacedSecrets(encryptionKey: string, secrets: readonly ReplacedSecret[]) {
  if (secrets.length === 0) return { previousSecret: null, previousSecretExpiresAt: null };
  return {
    previousSecret: await seal(encryptionKey, JSON.stringify(secrets)),
    previousSecretExpiresAt: Math.max(...secrets.map((s) => s.expires_at)),
  };
}
