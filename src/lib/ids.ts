// Prefixed, time-sortable random ids (ULID layout: 48-bit milliseconds + 80 random bits, Crockford base32).
// Within one isolate they are also monotonic: ids made in the same millisecond increase, so "newest first"
// lists keep their order even for things created together.
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

export const ID_BODY_LENGTH = 26;
export const ID_BODY_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export type IdPrefix = "vch" | "cmp" | "red" | "job" | "key" | "apr" | "whk" | "evt" | "dlv" | "usr" | "team" | "req" | "ses" | "rtk" | "frd" | "rsv";

let lastTime = -1;
let lastRandom: number[] = [];

function encodeTime(ms: number): string {
  let time = "";
  let t = ms;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  return time;
}

/** Adds one to a base-32 digit array; false on overflow (then fresh randomness is drawn instead). */
function increment(digits: number[]): boolean {
  for (let i = digits.length - 1; i >= 0; i--) {
    if (digits[i]! < 31) {
      digits[i]! += 1;
      return true;
    }
    digits[i] = 0;
  }
  return false;
}

export function idBody(now = Date.now()): string {
  if (now === lastTime && increment(lastRandom)) {
    return encodeTime(now) + lastRandom.map((d) => CROCKFORD[d]).join("");
  }
  lastTime = now;
  lastRandom = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b & 31);
  return encodeTime(now) + lastRandom.map((d) => CROCKFORD[d]).join("");
}

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${idBody()}`;
}
