// How far D1 trails the checkout: probers redeem (each for a customer of its own) while the load runs, then poll
// GET /v1/customers/{id}/redemptions until the redemption shows; the lag is from the 201 to that answer.
export type LagResult = { samples: number; p50: number; p99: number; max: number; pollMs: number };

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

export async function measureLag(base: string, token: string, codes: string[], options: { probers: number; seconds: number; pollMs: number; tag: string }): Promise<LagResult> {
  const headers = { "content-type": "application/json", authorization: `Bearer ${token}` };
  const deadline = performance.now() + options.seconds * 1000;
  const lags: number[] = [];
  let n = 0;
  const prober = async (p: number) => {
    while (performance.now() < deadline) {
      const customer = `lag-${options.tag}-${p}-${++n}`;
      const code = codes[Math.floor(Math.random() * codes.length)]!;
      const res = await fetch(`${base}/v1/vouchers/${code}/redeem`, { method: "POST", headers, body: JSON.stringify({ customer_id: customer, order: { id: customer, amount: 10_000, currency: "EUR" } }) });
      const body = (await res.json()) as { id?: string };
      if (res.status !== 201 || !body.id) throw new Error(`lag probe redeem answered ${res.status}`);
      const acknowledged = performance.now();
      for (;;) {
        await new Promise((r) => setTimeout(r, options.pollMs));
        const seen = await fetch(`${base}/v1/customers/${customer}/redemptions`, { headers });
        const page = (await seen.json()) as { data?: { id: string }[] };
        if (seen.status === 200 && page.data?.some((r) => r.id === body.id)) break;
        if (performance.now() - acknowledged > 60_000) throw new Error(`redemption ${body.id} not in history after 60 s`);
      }
      lags.push(performance.now() - acknowledged);
    }
  };
  await Promise.all(Array.from({ length: options.probers }, (_, p) => prober(p)));
  const sorted = lags.sort((a, b) => a - b);
  return { samples: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? NaN, pollMs: options.pollMs };
}
