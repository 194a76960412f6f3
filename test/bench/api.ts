// Seeding through the public API, as a user would.
export function client(base: string) {
  return async function call<T = any>(method: string, path: string, token?: string, body?: unknown): Promise<T> {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${text.slice(0, 300)}`);
    return (res.headers.get("content-type")?.includes("json") ? JSON.parse(text) : text) as T;
  };
}

export type Call = ReturnType<typeof client>;

export async function seedTeam(call: Call) {
  const signup = await call("POST", "/v1/auth/signup", undefined, {
    email: `bench${Date.now()}@example.com`,
    password: "benchmark password",
    team_name: "Bench",
  });
  const key = async (name: string) =>
    (await call("POST", "/v1/api-keys", signup.access_token, { name, type: "secret", rate_limit_per_minute: 100_000 })).key as string;
  return { token: signup.access_token as string, teamId: signup.team.id as string, key };
}
