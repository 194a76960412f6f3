// One load run with autocannon, reduced to what the report shows.
import autocannon from "autocannon";

export type Run = { name: string; connections: number; rps: number; p50: number; p99: number; ok: number; failed: number };
/** Each request's path and body, drawn fresh per request. */
export type NextRequest = () => { path: string; body: unknown };

export async function load(name: string, url: string, next: NextRequest, options: { connections: number; seconds: number; token?: string }): Promise<Run> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const result = await autocannon({
    url,
    connections: options.connections,
    duration: options.seconds,
    requests: [
      {
        method: "POST",
        headers,
        setupRequest: (req) => {
          const { path, body } = next();
          return { ...req, path, body: JSON.stringify(body) };
        },
      },
    ],
  });
  return {
    name,
    connections: options.connections,
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok: result["2xx"],
    failed: result.non2xx + result.errors + result.timeouts,
  };
}
