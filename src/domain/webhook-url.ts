// Where a webhook may point (API.md §9). Production: https only, and never a loopback, private, link-local or
// otherwise non-public address, checked on the literal host when the endpoint is saved and again before every
// attempt. The URL parser has already normalized the numeric tricks (`http://2130706433`, `0x7f.1`, `127.1`,
// `[::ffff:127.0.0.1]`) to their plain form, so the checks below see the address the request would go to.
// A Worker cannot resolve DNS itself, so a public name that resolves to a private address is not caught here:
// outbound fetches from Cloudflare's network do not reach private networks, and redirects are never followed.
// Staging accepts http and local hosts, for development.

export type UrlVerdict = { ok: true; url: URL } | { ok: false; reason: string };

const MAX_URL_LENGTH = 2048;

/** IPv4 ranges that are not the public internet (RFC 6890 and friends): [first octets, prefix length]. */
const BLOCKED_V4: [number[], number][] = [
  [[0], 8], // "this network"
  [[10], 8], // private
  [[100, 64], 10], // carrier-grade NAT
  [[127], 8], // loopback
  [[169, 254], 16], // link-local (cloud metadata lives here)
  [[172, 16], 12], // private
  [[192, 0, 0], 24], // IETF protocol assignments
  [[192, 0, 2], 24], // documentation
  [[192, 88, 99], 24], // 6to4 relay
  [[192, 168], 16], // private
  [[198, 18], 15], // benchmarking
  [[198, 51, 100], 24], // documentation
  [[203, 0, 113], 24], // documentation
  [[224], 4], // multicast
  [[240], 4], // reserved, broadcast
];

/** Host names that are local by definition or convention. */
const LOCAL_SUFFIXES = [".localhost", ".local", ".localdomain", ".internal", ".intranet", ".lan", ".home.arpa", ".corp"];

function parseV4(host: string): number[] | null {
  const parts = host.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p))) return null;
  const octets = parts.map(Number);
  return octets.every((o) => o <= 255) ? octets : null;
}

function inRange(address: number[], [start, bits]: [number[], number]): boolean {
  const value = (a: number[]) => (((a[0] ?? 0) << 24) | ((a[1] ?? 0) << 16) | ((a[2] ?? 0) << 8) | (a[3] ?? 0)) >>> 0;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return ((value(address) & mask) >>> 0) === ((value(start) & mask) >>> 0);
}

const v4Blocked = (octets: number[]) => BLOCKED_V4.some((range) => inRange(octets, range));

/** The eight 16-bit groups of an IPv6 address as the URL parser writes it (compressed, lower-case, no brackets). */
function parseV6(host: string): number[] | null {
  const [head = "", tail, extra] = host.split("::");
  if (extra !== undefined) return null;
  const groups = (part: string) => (part === "" ? [] : part.split(":").map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? parseInt(g, 16) : NaN)));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const missing = 8 - left.length - right.length;
  if (tail === undefined ? left.length !== 8 : missing < 1) return null;
  const all = [...left, ...Array<number>(tail === undefined ? 0 : missing).fill(0), ...right];
  return all.some(Number.isNaN) ? null : all;
}

function v6Blocked(g: number[]): boolean {
  const [a = 0, b = 0] = g;
  const embeddedV4 = (hi: number, lo: number) => [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff];
  const zeros = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeros(8)) return true; // unspecified
  if (zeros(7) && g[7] === 1) return true; // loopback
  if (zeros(5) && g[5] === 0xffff) return v4Blocked(embeddedV4(g[6]!, g[7]!)); // IPv4-mapped
  if (zeros(4) && g[4] === 0xffff && g[5] === 0) return v4Blocked(embeddedV4(g[6]!, g[7]!)); // IPv4-translated ::ffff:0:0/96
  if (zeros(6)) return true; // IPv4-compatible (deprecated): never public
  if (a === 0x64 && b === 0xff9b) return v4Blocked(embeddedV4(g[6]!, g[7]!)); // NAT64
  if (a === 0x2002) return v4Blocked(embeddedV4(b, g[2]!)); // 6to4
  if (a === 0x2001 && b === 0) return true; // Teredo 2001::/32: a tunnel to an IPv4 host the address hides
  if ((a & 0xfe00) === 0xfc00) return true; // unique local fc00::/7
  if ((a & 0xffc0) === 0xfe80 || (a & 0xffc0) === 0xfec0) return true; // link-local, site-local
  if ((a & 0xff00) === 0xff00) return true; // multicast
  if (a === 0x2001 && b === 0x0db8) return true; // documentation
  if (a === 0x0100 && b === 0 && g[2] === 0 && g[3] === 0) return true; // discard 100::/64
  return false;
}

/** Why `hostname` (as URL.hostname gives it) is not a public internet host, or null if it may be one. */
export function nonPublicHost(hostname: string): string | null {
  // Every trailing dot: `localhost..` names localhost as much as `localhost.` does.
  const host = hostname.toLowerCase().replace(/\.+$/, "");
  if (host.startsWith("[")) {
    const groups = parseV6(host.slice(1, -1));
    if (!groups) return "the IPv6 address cannot be read";
    return v6Blocked(groups) ? "it points at a loopback, private, link-local or reserved IPv6 address" : null;
  }
  const v4 = parseV4(host);
  if (v4) return v4Blocked(v4) ? "it points at a loopback, private, link-local or reserved IPv4 address" : null;
  // The parser turns every numeric form into dotted quads; anything still all digits and dots is not a name.
  if (/^[\d.]+$/.test(host)) return "the host is not a valid address";
  if (host === "localhost" || LOCAL_SUFFIXES.some((s) => host.endsWith(s))) return "it points at a local host name";
  if (!host.includes(".")) return "a single-label host name is not a public host";
  return null;
}

/** Whether a webhook may point at `raw` in `environment`, with the reason when it may not. */
export function checkWebhookUrl(raw: string, environment: "staging" | "production"): UrlVerdict {
  if (raw.length > MAX_URL_LENGTH) return { ok: false, reason: `the URL is longer than ${MAX_URL_LENGTH} characters` };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: "it is not a valid absolute URL" };
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return { ok: false, reason: "only http and https URLs can receive webhooks" };
  // Credentials in a URL would be shown wherever the endpoint is listed.
  if (url.username || url.password) return { ok: false, reason: "the URL must not carry a user name or password" };
  if (url.hash) return { ok: false, reason: "the URL must not have a fragment" };
  if (environment === "staging") return { ok: true, url };
  if (url.protocol !== "https:") return { ok: false, reason: "production webhooks must use https" };
  const why = nonPublicHost(url.hostname);
  return why ? { ok: false, reason: why } : { ok: true, url };
}
