// Prefixed, time-sortable random ids (ULID layout: 48-bit milliseconds + 80 random bits, Crockford base32).
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

export const ID_BODY_LENGTH = 26;
export const ID_BODY_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export type IdPrefix = "vch" | "cmp" | "red" | "job" | "key" | "apr" | "whk" | "evt" | "usr" | "team" | "req" | "ses" | "rtk";

export function idBody(now = Date.now()): string {
  let time = "";
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let random = "";
  for (const b of bytes) random += CROCKFORD[b & 31];
  return time + random;
}

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${idBody()}`;
}
