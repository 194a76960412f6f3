// One HTTP attempt of a webhook delivery: signed afresh (its own timestamp; the event id and body stay the same),
// POSTed with a 15 s timeout, redirects not followed (a redirect could lead to an address the URL check refused),
// and the answer classified. The receiver's body is never read.
import { ATTEMPT_TIMEOUT_MS, parseRetryAfter } from "../domain/webhook-schedule";
import { signatureHeaders } from "../lib/webhook-signature";

export type AttemptOutcome = {
  kind: "succeeded" | "gone" | "failed";
  status: number | null;
  durationMs: number;
  /** The receiver's Retry-After, in ms from the end of the attempt. */
  retryAfterMs: number | null;
  error: string | null;
};

export type AttemptTarget = { url: string; eventId: string; payload: string; secrets: readonly string[] };

export async function sendAttempt(target: AttemptTarget, timeoutMs = ATTEMPT_TIMEOUT_MS): Promise<AttemptOutcome> {
  const started = Date.now();
  const signed = await signatureHeaders(target.secrets, target.eventId, Math.floor(started / 1000), target.payload);
  let response: Response;
  try {
    response = await fetch(target.url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "User-Agent": "Vauchflow-Webhooks/1.0", ...signed },
      body: target.payload,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
    const error = timedOut ? `no answer within ${timeoutMs / 1000} s` : `the request failed: ${err instanceof Error ? err.message : String(err)}`;
    return { kind: "failed", status: null, durationMs: Date.now() - started, retryAfterMs: null, error: error.slice(0, 300) };
  }
  await response.body?.cancel().catch(() => undefined);
  const durationMs = Date.now() - started;
  const status = response.status;
  if (status >= 200 && status < 300) return { kind: "succeeded", status, durationMs, retryAfterMs: null, error: null };
  if (status === 410) return { kind: "gone", status, durationMs, retryAfterMs: null, error: "410 Gone: the endpoint is disabled" };
  const redirect = status >= 300 && status < 400 ? "redirects are not followed" : `answered ${status}`;
  return { kind: "failed", status, durationMs, retryAfterMs: parseRetryAfter(response.headers.get("Retry-After"), Date.now()), error: redirect };
}
