// Lists (API.md §1: `?limit=1..100&cursor=…`) refuse a cursor they did not give out, a parameter sent twice and a
// limit that is not plain digits: 400 invalid_request naming it, never an empty or a default page.
import { describe, expect, it } from "vitest";
import { call, newTeam, type Answer } from "../helpers/api";
import { expectApiError } from "../helpers/security";

const detailPaths = (res: Answer) => (res.body.details ?? []).map((d: { path: string }) => d.path);

describe("lists refuse a cursor they did not give out, and parameters sent twice", () => {
  async function listRoutes() {
    const { owner, admin } = await newTeam();
    const customer = `cus-${crypto.randomUUID()}`;
    expect((await call("POST", "/v1/customers", { token: admin.key, body: { id: customer } })).status).toBe(201);
    const webhook = await call("POST", "/v1/webhooks", { token: admin.key, body: { url: "http://127.0.0.1:9/never-called", events: ["fraud.alert"] } });
    expect(webhook.status).toBe(201);
    const doc = (await call("GET", "/openapi.json")).body as { paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>> };
    const lists = Object.entries(doc.paths).filter(([, item]) => item.get?.parameters?.some((p) => p.in === "query" && p.name === "cursor"));
    const ids: Record<string, string> = { teams: owner.teamId, customers: customer, "api-keys": admin.id, webhooks: webhook.body.id };
    const urls = lists.map(([path]) => path.replace(/\{id\}/, ids[path.split("/")[2]!] ?? "x"));
    return { urls, token: admin.key, ownerToken: owner.accessToken };
  }

  it("every list with a cursor: garbage, an id of another kind, a repeated cursor or limit, a non-decimal limit → 400 naming it", async () => {
    const { urls, token, ownerToken } = await listRoutes();
    expect(urls.length).toBeGreaterThanOrEqual(6);
    for (const url of urls) {
      // Members are listed for users; everything else for the admin key.
      const credential = url.includes("/members") ? ownerToken : token;
      const ok = await call("GET", `${url}?limit=1`, { token: credential });
      expect(ok.status, `${url} ${JSON.stringify(ok.body)}`).toBe(200);
      for (const [query, param] of [
        ["cursor=garbage", "cursor"],
        ["cursor=", "cursor"],
        ["cursor=zzz_01JD0000000000000000000000", "cursor"],
        ["cursor=%00", "cursor"],
        ["cursor=a&cursor=b", "cursor"],
        ["limit=1&limit=2", "limit"],
        ["limit=0x10", "limit"],
        ["limit=1e1", "limit"],
        ["limit=", "limit"],
      ] as const) {
        const res = await call("GET", `${url}?${query}`, { token: credential });
        expectApiError(res, 400, "invalid_request");
        expect(detailPaths(res), `${url}?${query}`).toContain(param);
      }
    }
  });
});
