import { describe, expect, it } from "vitest";
import { call, newTeam } from "../helpers/api";

describe("smoke", () => {
  it("health", async () => {
    const res = await call("GET", "/health");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: "ok" });
    expect(res.headers.get("Request-Id")).toMatch(/^req_/);
  });
  it("signup and key", async () => {
    const { owner, admin } = await newTeam();
    const res = await call("GET", "/v1/api-keys", { token: admin.key });
    expect(res.status).toBe(200);
    expect(res.body.data).toHaveLength(1);
    const me = await call("GET", "/v1/auth/me", { token: owner.accessToken });
    expect(me.status).toBe(200);
  });
});
