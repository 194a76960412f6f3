// Authenticated encryption (AES-256-GCM) for what must be kept but must not be readable at rest: stored answers
// that carry a secret (new API keys, tokens, later webhook secrets). The key is derived from the deployment's
// ENCRYPTION_KEY secret; each value gets a fresh 96-bit nonce. Format: "v1." + base64(nonce ‖ ciphertext+tag).
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const keys = new Map<string, Promise<CryptoKey>>();

function aesKey(secret: string): Promise<CryptoKey> {
  if (!secret || secret.length < 32) throw new Error("ENCRYPTION_KEY is not configured");
  let key = keys.get(secret);
  if (!key) {
    // Domain-separated so the same secret could never collide with another use of it.
    key = crypto.subtle
      .digest("SHA-256", encoder.encode(`vauchflow/sealing/v1\n${secret}`))
      .then((raw) => crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]));
    keys.set(secret, key);
  }
  return key;
}

const toBase64 = (bytes: Uint8Array) => btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(""));
const fromBase64 = (text: string) => Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0));

export async function seal(secret: string, plaintext: string): Promise<string> {
  const nonce = crypto.getRandomValues(new Uint8Array(12));
  const cipher = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv: nonce }, await aesKey(secret), encoder.encode(plaintext)));
  const out = new Uint8Array(nonce.length + cipher.length);
  out.set(nonce);
  out.set(cipher, nonce.length);
  return `v1.${toBase64(out)}`;
}

/** The plaintext, or null when the value was not sealed with this secret or was altered. */
export async function unseal(secret: string, sealed: string): Promise<string | null> {
  if (!sealed.startsWith("v1.")) return null;
  try {
    const bytes = fromBase64(sealed.slice(3));
    const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: bytes.slice(0, 12) }, await aesKey(secret), bytes.slice(12));
    return decoder.decode(plain);
  } catch {
    return null;
  }
}
