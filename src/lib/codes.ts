// Voucher codes: 3–64 characters of A–Z 0–9 - _, matched case-insensitively, stored upper-case.
export const CODE_PATTERN = /^[A-Z0-9_-]{3,64}$/;

export const CHARSETS = {
  alphanumeric: "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
  alphabetic: "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
  numeric: "0123456789",
  // Upper-case letters and digits without the look-alikes 0 O 1 I L.
  unambiguous: "ABCDEFGHJKMNPQRSTUVWXYZ23456789",
} as const;

export function normalizeCode(code: string): string {
  return code.trim().toUpperCase();
}

/** A uniformly random string over `charset` (rejection sampling, so no character is favoured). */
export function randomCode(charset: string, length: number): string {
  const limit = 256 - (256 % charset.length);
  let out = "";
  while (out.length < length) {
    for (const b of crypto.getRandomValues(new Uint8Array(length * 2))) {
      if (b < limit && out.length < length) out += charset[b % charset.length];
    }
  }
  return out;
}

/** Escapes LIKE's wildcards (with `ESCAPE '\\'`), so codes containing _ match literally. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (m) => `\\${m}`);
}
