// The shared security cases, applied to every authenticated route that exists.
import { addMember, createKey, signUp } from "../helpers/api";
import { describeSecurity, route } from "../helpers/security";

const keyInTeamA = (team: { owner: { accessToken: string } }) =>
  createKey(team.owner.accessToken, { name: "target", scopes: ["read:vouchers"] }).then((k) => ({ keyId: k.id }));

describeSecurity([
  route({ method: "GET", path: "/v1/auth/me", url: () => "/v1/auth/me", ok: 200, user: {} }),
  route({
    method: "POST",
    path: "/v1/auth/logout",
    url: () => "/v1/auth/logout",
    body: (_r, team) => ({ refresh_token: team.owner.refreshToken }),
    ok: 204,
    user: {},
  }),
  route({ method: "POST", path: "/v1/teams", url: () => "/v1/teams", body: () => ({ name: "Another team" }), ok: 201, user: {} }),
  route({
    method: "GET",
    path: "/v1/teams/{id}/members",
    url: (_r, team) => `/v1/teams/${team.owner.teamId}/members`,
    ok: 200,
    user: {},
    targetsResource: true,
  }),
  route({
    method: "POST",
    path: "/v1/teams/{id}/members",
    setup: async () => ({ email: (await signUp("Newcomer's team")).email }),
    url: (_r, team) => `/v1/teams/${team.owner.teamId}/members`,
    body: (r) => ({ email: r.email, role: "developer" }),
    ok: 201,
    user: { deniedRoles: ["developer", "viewer"] },
    targetsResource: true,
  }),
  route({
    method: "DELETE",
    path: "/v1/teams/{id}/members/{user_id}",
    setup: async (team) => ({ userId: (await addMember(team.owner.accessToken, team.owner.teamId, "developer")).userId }),
    url: (r, team) => `/v1/teams/${team.owner.teamId}/members/${r.userId}`,
    ok: 204,
    user: { deniedRoles: ["developer", "viewer"] },
    targetsResource: true,
  }),
  route({ method: "GET", path: "/v1/api-keys", url: () => "/v1/api-keys", ok: 200, secret: { scope: "read:api_keys" }, user: {} }),
  route({
    method: "POST",
    path: "/v1/api-keys",
    url: () => "/v1/api-keys",
    body: () => ({ name: "made in a test", type: "secret", scopes: ["read:vouchers"] }),
    ok: 201,
    secret: { scope: "write:api_keys", alsoHolds: ["read:vouchers"] },
    user: { deniedRoles: ["viewer"] },
  }),
  route({
    method: "POST",
    path: "/v1/api-keys/agent",
    url: () => "/v1/api-keys/agent",
    body: () => ({ name: "agent made in a test", scopes: ["read:vouchers"] }),
    ok: 201,
    secret: { scope: "write:api_keys", alsoHolds: ["read:vouchers"] },
    user: { deniedRoles: ["developer", "viewer"] },
  }),
  route({
    method: "POST",
    path: "/v1/api-keys/{id}/rotate",
    setup: keyInTeamA,
    url: (r) => `/v1/api-keys/${r.keyId}/rotate`,
    body: () => ({}),
    ok: 200,
    secret: { scope: "write:api_keys", alsoHolds: ["read:vouchers"] },
    user: { deniedRoles: ["viewer"] },
    targetsResource: true,
  }),
  route({
    method: "DELETE",
    path: "/v1/api-keys/{id}",
    setup: keyInTeamA,
    url: (r) => `/v1/api-keys/${r.keyId}`,
    ok: 204,
    secret: { scope: "write:api_keys" },
    user: { deniedRoles: ["viewer"] },
    targetsResource: true,
  }),
]);
