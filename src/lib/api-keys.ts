// API key format: vf_<sk|pk|ak>_<test|live>_<32 base62 secret><26-char key id body>.
// The embedded id names the key's Durable Object, so one round trip authenticates; the secret is what is hashed.
import { ID_BODY_LENGTH, ID_BODY_PATTERN } from "./ids";
import type { KeyType } from "../env";

const TYPE_PREFIX: Record<KeyType, string> = { secret: "sk", publishable: "pk", agent: "ak" };
const PREFIX_TYPE: Record<string, KeyType> = { sk: "secret", pk: "publishable", ak: "agent" };
export const SECRET_LENGTH = 32;
const KEY_PATTERN = /^vf_(sk|pk|ak)_(test|live)_([0-9A-Za-z]+)$/;

export type Environment = "staging" | "production";
export const envTag = (environment: Environment) => (environment === "production" ? "live" : "test");

export function formatKey(type: KeyType, environment: Environment, secret: string, keyId: string): string {
  return `vf_${TYPE_PREFIX[type]}_${envTag(environment)}_${secret}${keyId.slice("key_".length)}`;
}

export function displayKey(plaintext: string): string {
  const prefixLength = "vf_sk_test_".length;
  return `${plaintext.slice(0, prefixLength + 6)}…`;
}

export type ParsedKey = { type: KeyType; environment: Environment; keyId: string };

export function parseKey(credential: string): ParsedKey | null {
  const match = KEY_PATTERN.exec(credential);
  if (!match) return null;
  const [, typeTag, envTagValue, rest] = match as unknown as [string, string, string, string];
  if (rest.length !== SECRET_LENGTH + ID_BODY_LENGTH) return null;
  const idBody = rest.slice(SECRET_LENGTH);
  if (!ID_BODY_PATTERN.test(idBody)) return null;
  return {
    type: PREFIX_TYPE[typeTag] as KeyType,
    environment: envTagValue === "live" ? "production" : "staging",
    keyId: `key_${idBody}`,
  };
}
