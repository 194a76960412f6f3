// A key as issued before keys named their team (vf_sk_test_<24 secret><8 check><26 key id>, src/lib/api-keys.ts
// keeps accepting it), written straight into D1 as an old key's row: its object fills itself from D1 on first use.
// The bench validates with it to measure the sequential path beside the overlapped one, in the same run.
import { webcrypto } from "node:crypto";
import type { startServers } from "./server.ts";

type D1 = Awaited<ReturnType<Awaited<ReturnType<typeof startServers>>["appD1"]>>;

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const random = (alphabet: string, length: number) => Array.from(webcrypto.getRandomValues(new Uint8Array(length)), (b) => alphabet[b % alphabet.length]).join("");
const hex = (bytes: ArrayBuffer) => Buffer.from(bytes).toString("hex");

export async function legacyKey(db: D1, checkSecret: string, teamId: string): Promise<string> {
  const prefix = "vf_sk_test_";
  const secret = random(BASE62, 24);
  const idBody = random(CROCKFORD, 26);
  const hmac = await webcrypto.subtle.importKey("raw", new TextEncoder().encode(checkSecret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await webcrypto.subtle.sign("HMAC", hmac, new TextEncoder().encode(`${prefix}${secret}.${idBody}`)));
  const plaintext = `${prefix}${secret}${Array.from(mac.slice(0, 8), (b) => BASE62[b % 62]).join("")}${idBody}`;
  const hash = hex(await webcrypto.subtle.digest("SHA-256", new TextEncoder().encode(plaintext)));
  await db
    .prepare(
      `INSERT INTO api_keys (id, team_id, name, type, environment, scopes, allowed_origins, rate_limit_per_minute, display_key, secret_hash, created_by, created_at)
       VALUES (?, ?, 'legacy', 'secret', 'staging', '["admin"]', '[]', 100000, ?, ?, 'bench', ?)`,
    )
    .bind(`key_${idBody}`, teamId, `${plaintext.slice(0, 17)}…`, hash, Date.now())
    .run();
  return plaintext;
}
