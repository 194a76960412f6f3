// API key format: vf_<sk|pk|ak>_<test|live>_<24 base62 secret><8 base62 check><26-char team id body><26-char key id body>.
// The embedded key id names the key's Durable Object, so one round trip authenticates; the whole key is what is
// hashed. The team id lets a checkout's validate name the voucher's object before the key's object has answered,
// so both calls go at once (services/validate-preview.ts); it is only trusted once that object accepts the key.
// The check is an HMAC of everything before and after it under the deployment's KEY_CHECK_SECRET: a mistyped or
// invented key (or a team id swapped into a real one) fails it and is refused before any Durable Object call or
// D1 query, so forged keys cost nothing and cannot create objects. Keys issued before the team id was added
// (no team part) still parse, with teamId null: they authenticate the same way, without the overlap.
import { ID_BODY_LENGTH, ID_BODY_PATTERN } from "./ids";
import type { KeyType } from "../env";
import { constantTimeEqual, randomBase62 } from "./crypto";

const TYPE_PREFIX: Record<KeyType, string> = { secret: "sk", publishable: "pk", agent: "ak" };
const PREFIX_TYPE: Record<string, KeyType> = { sk: "secret", pk: "publishable", ak: "agent" };
export const SECRET_LENGTH = 24;
export const CHECK_LENGTH = 8;
const KEY_PATTERN = /^vf_(sk|pk|ak)_(test|live)_([0-9A-Za-z]+)$/;
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

export type Environment = "staging" | "production";
export const envTag = (environment: Environment) => (environment === "production" ? "live" : "test");

const encoder = new TextEncoder();
const checkKeys = new Map<string, Promise<CryptoKey>>();

function checkKey(secret: string): Promise<CryptoKey> {
  if (!secret || secret.length < 32) throw new Error("KEY_CHECK_SECRET is not configured");
  let key = checkKeys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    checkKeys.set(secret, key);
  }
  return key;
}

/** The 8-character check of a key: about 47 bits of an HMAC, so a guessed key passes once in 10^14 tries. */
async function keyCheck(checkSecret: string, prefix: string, secret: string, idBody: string, teamBody: string | null): Promise<string> {
  // A legacy key (no team part) keeps the check it was issued with.
  const signed = teamBody === null ? `${prefix}${secret}.${idBody}` : `${prefix}${secret}.${teamBody}.${idBody}`;
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await checkKey(checkSecret), encoder.encode(signed)));
  return Array.from(mac.slice(0, CHECK_LENGTH), (b) => BASE62[b % 62]).join("");
}

const prefixOf = (type: KeyType, environment: Environment) => `vf_${TYPE_PREFIX[type]}_${envTag(environment)}_`;

/** A new plaintext key for `keyId` of team `teamId`, with a fresh random secret. `teamId` null: the legacy format (tests only). */
export async function mintKey(checkSecret: string, type: KeyType, environment: Environment, keyId: string, teamId: string | null): Promise<string> {
  const prefix = prefixOf(type, environment);
  const secret = randomBase62(SECRET_LENGTH);
  const idBody = keyId.slice("key_".length);
  const teamBody = teamId === null ? null : teamId.slice("team_".length);
  return `${prefix}${secret}${await keyCheck(checkSecret, prefix, secret, idBody, teamBody)}${teamBody ?? ""}${idBody}`;
}

export function displayKey(plaintext: string): string {
  const prefixLength = "vf_sk_test_".length;
  return `${plaintext.slice(0, prefixLength + 6)}…`;
}

/** `teamId` is null for a legacy key; like the rest, it means something only when `checked`. */
export type ParsedKey = { type: KeyType; environment: Environment; keyId: string; teamId: string | null; checked: boolean };

const LEGACY_LENGTH = SECRET_LENGTH + CHECK_LENGTH + ID_BODY_LENGTH;

/** The key's parts, or null when it is not shaped like a key. `checked` says whether its check is right. */
export async function parseKey(checkSecret: string, credential: string): Promise<ParsedKey | null> {
  const match = KEY_PATTERN.exec(credential);
  if (!match) return null;
  const [, typeTag, envTagValue, rest] = match as unknown as [string, string, string, string];
  if (rest.length !== LEGACY_LENGTH && rest.length !== LEGACY_LENGTH + ID_BODY_LENGTH) return null;
  const idBody = rest.slice(-ID_BODY_LENGTH);
  const teamBody = rest.length === LEGACY_LENGTH ? null : rest.slice(SECRET_LENGTH + CHECK_LENGTH, -ID_BODY_LENGTH);
  if (!ID_BODY_PATTERN.test(idBody) || (teamBody !== null && !ID_BODY_PATTERN.test(teamBody))) return null;
  const prefix = credential.slice(0, credential.length - rest.length);
  const expected = await keyCheck(checkSecret, prefix, rest.slice(0, SECRET_LENGTH), idBody, teamBody);
  return {
    type: PREFIX_TYPE[typeTag] as KeyType,
    environment: envTagValue === "live" ? "production" : "staging",
    keyId: `key_${idBody}`,
    teamId: teamBody === null ? null : `team_${teamBody}`,
    checked: constantTimeEqual(expected, rest.slice(SECRET_LENGTH, SECRET_LENGTH + CHECK_LENGTH)),
  };
}
