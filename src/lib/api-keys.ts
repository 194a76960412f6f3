// API key format: vf_<sk|pk|ak>_<test|live>_<24 base62 secret><8 base62 check><26-char key id body>.
// The embedded id names the key's Durable Object, so one round trip authenticates; the whole key is what is
// hashed. The check is an HMAC of everything before and after it under the deployment's KEY_CHECK_SECRET: a
// mistyped or invented key fails it and is refused before any Durable Object call or D1 query, so forged keys
// cost nothing and cannot create objects.
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
async function keyCheck(checkSecret: string, prefix: string, secret: string, idBody: string): Promise<string> {
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await checkKey(checkSecret), encoder.encode(`${prefix}${secret}.${idBody}`)));
  return Array.from(mac.slice(0, CHECK_LENGTH), (b) => BASE62[b % 62]).join("");
}

const prefixOf = (type: KeyType, environment: Environment) => `vf_${TYPE_PREFIX[type]}_${envTag(environment)}_`;

/** A new plaintext key for `keyId`, with a fresh random secret. */
export async function mintKey(checkSecret: string, type: KeyType, environment: Environment, keyId: string): Promise<string> {
  const prefix = prefixOf(type, environment);
  const secret = randomBase62(SECRET_LENGTH);
  const idBody = keyId.slice("key_".length);
  return `${prefix}${secret}${await keyCheck(checkSecret, prefix, secret, idBody)}${idBody}`;
}

export function displayKey(plaintext: string): string {
  const prefixLength = "vf_sk_test_".length;
  return `${plaintext.slice(0, prefixLength + 6)}…`;
}

export type ParsedKey = { type: KeyType; environment: Environment; keyId: string; checked: boolean };

/** The key's parts, or null when it is not shaped like a key. `checked` says whether its check is right. */
export async function parseKey(checkSecret: string, credential: string): Promise<ParsedKey | null> {
  const match = KEY_PATTERN.exec(credential);
  if (!match) return null;
  const [, typeTag, envTagValue, rest] = match as unknown as [string, string, string, string];
  if (rest.length !== SECRET_LENGTH + CHECK_LENGTH + ID_BODY_LENGTH) return null;
  const idBody = rest.slice(SECRET_LENGTH + CHECK_LENGTH);
  if (!ID_BODY_PATTERN.test(idBody)) return null;
  const prefix = credential.slice(0, credential.length - rest.length);
  const expected = await keyCheck(checkSecret, prefix, rest.slice(0, SECRET_LENGTH), idBody);
  return {
    type: PREFIX_TYPE[typeTag] as KeyType,
    environment: envTagValue === "live" ? "production" : "staging",
    keyId: `key_${idBody}`,
    checked: constantTimeEqual(expected, rest.slice(SECRET_LENGTH, SECRET_LENGTH + CHECK_LENGTH)),
  };
}
