// The pure rules behind webhooks: where an endpoint may point (API.md §9: production https to public hosts only,
// numeric and IPv6 disguises included), the retry schedule with Retry-After, and the signature format.
import { describe, expect, it } from "vitest";
import { Webhook } from "standardwebhooks";
import { GIVE_UP_AFTER_MS, nextAttemptAt, parseRetryAfter, plannedOffsets } from "../../src/domain/webhook-schedule";
import { checkWebhookUrl } from "../../src/domain/webhook-url";
import { newWebhookSecret, signatureHeaders } from "../../src/lib/webhook-signature";
import { verifyVauchflowSignature } from "../helpers/webhooks";

const MIN = 60_000;
const HOUR = 60 * MIN;

describe("webhook URLs", () => {
  const refusedInProduction = [
    "http://hooks.example.com/x", // not https
    "https://localhost/x",
    "https://LOCALHOST./x",
    "https://localhost../x", // more than one trailing dot
    "https://metadata.google.internal../x",
    "https://api.localhost/x",
    "https://printer.local/x",
    "https://metadata.google.internal/computeMetadata/v1/",
    "https://intranet/x", // a single label
    "https://127.0.0.1/x",
    "https://127.1/x",
    "https://2130706433/x", // 127.0.0.1 as one number
    "https://0x7f.1/x",
    "https://0x7f000001/x",
    "https://017700000001/x", // octal
    "https://0.0.0.0/x",
    "https://10.1.2.3/x",
    "https://172.16.0.1/x",
    "https://172.31.255.255/x",
    "https://192.168.1.1/x",
    "https://169.254.169.254/latest/meta-data/", // cloud metadata
    "https://100.64.0.1/x",
    "https://224.0.0.1/x",
    "https://255.255.255.255/x",
    "https://[::1]/x",
    "https://[::]/x",
    "https://[::ffff:127.0.0.1]/x", // IPv4-mapped
    "https://[::ffff:7f00:1]/x",
    "https://[::ffff:10.0.0.1]/x",
    "https://[::ffff:169.254.169.254]/x",
    "https://[64:ff9b::a00:1]/x", // NAT64 of 10.0.0.1
    "https://[2002:7f00:1::]/x", // 6to4 of 127.0.0.1
    "https://[::ffff:0:7f00:1]/x", // IPv4-translated (SIIT) 127.0.0.1
    "https://[::ffff:0:a9fe:a9fe]/x", // IPv4-translated 169.254.169.254
    "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/x", // Teredo: a tunnel to an IPv4 host
    "https://[fe80::1]/x",
    "https://[fc00::1]/x",
    "https://[fd12:3456::1]/x",
    "https://[ff02::1]/x",
    "https://user:pass@hooks.example.com/x",
    "ftp://hooks.example.com/x",
    "https://hooks.example.com/x#frag",
    `https://hooks.example.com/${"x".repeat(2100)}`,
  ];
  it.each(refusedInProduction)("production refuses %s", (url) => {
    const verdict = checkWebhookUrl(url, "production");
    expect(verdict.ok, url).toBe(false);
    if (!verdict.ok) expect(verdict.reason.length).toBeGreaterThan(0);
  });

  const acceptedInProduction = [
    "https://hooks.example.com/vauchflow",
    "https://hooks.example.com:8443/a?b=c",
    "https://93.184.216.34/hook",
    "https://172.32.0.1/hook", // just outside 172.16.0.0/12
    "https://[2606:4700:4700::1111]/hook",
    "https://[::ffff:93.184.216.34]/hook",
  ];
  it.each(acceptedInProduction)("production accepts %s", (url) => {
    expect(checkWebhookUrl(url, "production").ok).toBe(true);
  });

  it("staging accepts http and local hosts, but still not other schemes or credentials", () => {
    for (const url of ["http://localhost:3000/hooks", "http://127.0.0.1:8080/x", "http://[::1]:9000/x", "https://hooks.example.com/x"]) {
      expect(checkWebhookUrl(url, "staging").ok, url).toBe(true);
    }
    for (const url of ["ftp://localhost/x", "http://a:b@localhost/x", "not a url"]) expect(checkWebhookUrl(url, "staging").ok, url).toBe(false);
  });

  it("what is checked is the address the request goes to: the parser's normal form", () => {
    const verdict = checkWebhookUrl("http://2130706433:9000/x", "staging");
    expect(verdict.ok && verdict.url.href).toBe("http://127.0.0.1:9000/x");
  });
});

describe("the retry schedule", () => {
  it("5 min, 30 min, 2 h, 5 h, 10 h, then every 12 h while within 72 h: ten attempts", () => {
    const offsets = plannedOffsets();
    const expected = [0, 5 * MIN, 35 * MIN, 2 * HOUR + 35 * MIN, 7 * HOUR + 35 * MIN, 17 * HOUR + 35 * MIN];
    for (let k = 1; k <= 4; k++) expected.push(17 * HOUR + 35 * MIN + k * 12 * HOUR);
    expect(offsets).toEqual(expected);
    expect(offsets[offsets.length - 1]).toBeLessThanOrEqual(GIVE_UP_AFTER_MS);
  });

  it("Retry-After is honoured as the least wait, up to 12 h, and never past 72 h", () => {
    expect(nextAttemptAt({ attempt: 1, now: 0, startedAt: 0, retryAfterMs: HOUR })).toBe(HOUR);
    expect(nextAttemptAt({ attempt: 1, now: 0, startedAt: 0, retryAfterMs: 10_000 })).toBe(5 * MIN);
    expect(nextAttemptAt({ attempt: 1, now: 0, startedAt: 0, retryAfterMs: 48 * HOUR })).toBe(12 * HOUR);
    expect(nextAttemptAt({ attempt: 2, now: 65 * HOUR, startedAt: 0, retryAfterMs: 12 * HOUR })).toBeNull();
  });

  it("Retry-After as seconds or as an HTTP date", () => {
    const now = Date.parse("2026-11-30T10:00:00Z");
    expect(parseRetryAfter("120", now)).toBe(120_000);
    expect(parseRetryAfter("Mon, 30 Nov 2026 11:00:00 GMT", now)).toBe(HOUR);
    expect(parseRetryAfter("soon", now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });
});

describe("signatures", () => {
  it("one v1 per live secret in both headers; each verifies with its own secret, by the recipe and by standardwebhooks", async () => {
    const [current, previous] = [newWebhookSecret(), newWebhookSecret()];
    expect(current).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const body = '{"id":"evt_01JD0000000000000000000000","type":"webhook.test","created_at":"2026-11-30T10:00:00Z","data":{}}';
    const t = Math.floor(Date.now() / 1000);
    const headers = await signatureHeaders([current, previous], "evt_01JD0000000000000000000000", t, body);
    expect(headers["Vauchflow-Signature"]).toMatch(new RegExp(`^t=${t},v1=[0-9a-f]{64},v1=[0-9a-f]{64}$`));
    expect(headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]{43}= v1,[A-Za-z0-9+/]{43}=$/);
    for (const secret of [current, previous]) {
      expect(await verifyVauchflowSignature(headers["Vauchflow-Signature"], body, secret)).toBe(true);
      expect(new Webhook(secret).verify(body, headers)).toMatchObject({ type: "webhook.test" });
    }
    const stranger = newWebhookSecret();
    expect(await verifyVauchflowSignature(headers["Vauchflow-Signature"], body, stranger)).toBe(false);
    expect(() => new Webhook(stranger).verify(body, headers)).toThrow();
    expect(await verifyVauchflowSignature(headers["Vauchflow-Signature"], `${body} `, current)).toBe(false);
  });
});
