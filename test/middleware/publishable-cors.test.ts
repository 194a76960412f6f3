// Publishable keys live in browsers: a refusal the browser cannot read is a refusal the storefront cannot
// explain. 401 and 429 on the validate route carry CORS headers, so the page can read the error and Retry-After.
import { describe, expect, it } from "vitest";
import { type Answer, call, createKey, newTeam } from "../helpers/api";
import { createVoucher } from "../helpers/vouchers";
import { expectApiError, unknownKey, uniqueOrigin } from "../helpers/security";

const validate = (key: string, code: string, origin: string) =>
  call("POST", `/v1/vouchers/${code}/validate`, { token: key, body: { order: { amount: 1000 } }, headers: { Origin: origin } });

function expectReadableBy(res: Answer, origin: string) {
  expect(res.headers.get("Access-Control-Allow-Origin")).toBe(origin);
  expect(res.headers.get("Access-Control-Expose-Headers")).toContain("Retry-After");
  expect(res.headers.get("Vary")).toContain("Origin");
}

describe("CORS on refusals of publishable keys", () => {
  it("401 for a revoked or invented publishable key is readable by the calling page", async () => {
    const { owner, admin } = await newTeam();
    const origin = uniqueOrigin();
    const pk = await createKey(owner.accessToken, { type: "publishable", allowed_origins: [origin] });
    const code = (await createVoucher(admin.key)).code as string;
    expect((await call("DELETE", `/v1/api-keys/${pk.id}`, { token: owner.accessToken })).status).toBe(204);
    for (const key of [pk.key, unknownKey("vf_pk_test_")]) {
      const res = await validate(key, code, origin);
      expectApiError(res, 401, "invalid_api_key");
      expectReadableBy(res, origin);
    }
  });

  it("429 from an allowed origin carries CORS and Retry-After; from another origin it carries no CORS", async () => {
    const { owner, admin } = await newTeam();
    const origin = uniqueOrigin();
    const pk = await createKey(owner.accessToken, { type: "publishable", allowed_origins: [origin], rate_limit_per_minute: 2 });
    const code = (await createVoucher(admin.key)).code as string;
    for (let i = 0; i < 2; i++) expect((await validate(pk.key, code, origin)).status).toBe(200);
    const limited = await validate(pk.key, code, origin);
    expectApiError(limited, 429, "rate_limit_exceeded");
    expectReadableBy(limited, origin);
    expect(Number(limited.headers.get("Retry-After"))).toBeGreaterThanOrEqual(1);

    const stranger = await validate(pk.key, code, uniqueOrigin());
    expect(stranger.status).toBe(429);
    expect(stranger.headers.get("Access-Control-Allow-Origin")).toBeNull();
  });

  it("a refusal off the validate route carries no CORS headers", async () => {
    const origin = uniqueOrigin();
    const res = await call("GET", "/v1/vouchers", { token: unknownKey("vf_pk_test_"), headers: { Origin: origin } });
    expectApiError(res, 401, "invalid_api_key");
    expect(res.headers.get("Access-Control-Allow-Origin")).toBeNull();
  });
});
