// Teams, members and roles (API.md §2 "Authentication and tenancy", "Dashboard users").
import { describe, expect, it } from "vitest";
import { call, expectError, signUp, type Account } from "../helpers/api";

type Role = "owner" | "admin" | "developer" | "viewer";

const members = (token: string, teamId: string) => call("GET", `/v1/teams/${teamId}/members`, { token });
const addMember = (token: string, teamId: string, email: string, role: Role) =>
  call("POST", `/v1/teams/${teamId}/members`, { token, body: { email, role } });
const removeMember = (token: string, teamId: string, userId: string) =>
  call("DELETE", `/v1/teams/${teamId}/members/${userId}`, { token });

/** A team owned by `owner` with one extra member per requested role (each member also owns their own sign-up team). */
async function teamWith<R extends Role>(...roles: R[]) {
  const owner = await signUp("Shared team");
  const added = {} as Record<R, Account>;
  for (const role of roles) {
    const account = await signUp(`${role}'s own team`);
    const res = await addMember(owner.accessToken, owner.teamId, account.email, role);
    if (res.status !== 201) throw new Error(`adding ${role} failed: ${res.status} ${JSON.stringify(res.body)}`);
    added[role] = account;
  }
  return { owner, teamId: owner.teamId, added };
}

const asTeam = (teamId: string) => ({ "X-Team-Id": teamId });

describe("POST /v1/teams", () => {
  it("creates a team with the caller as owner", async () => {
    const account = await signUp();
    const res = await call("POST", "/v1/teams", { token: account.accessToken, body: { name: "Growth" } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ object: "team", name: "Growth", role: "owner" });
    expect(res.body.id).toMatch(/^team_/);
    expect(res.body.id).not.toBe(account.teamId);

    const list = await members(account.accessToken, res.body.id);
    expect(list.status).toBe(200);
    expect(list.body.data).toEqual([expect.objectContaining({ user_id: account.userId, email: account.email, role: "owner" })]);
  });

  it("rejects an empty name", async () => {
    const account = await signUp();
    const res = await call("POST", "/v1/teams", { token: account.accessToken, body: { name: "" } });
    expectError(res, 400, "invalid_request");
    expect(res.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ path: "name" })]));
  });

  it("is for signed-in users, not API keys", async () => {
    const account = await signUp();
    const key = await call("POST", "/v1/api-keys", { token: account.accessToken, body: { name: "k", type: "secret" } });
    expect(key.status).toBe(201);
    const res = await call("POST", "/v1/teams", { token: key.body.key, body: { name: "By key" } });
    expectError(res, 403, "key_type_not_allowed");
  });
});

describe("X-Team-Id for users in several teams", () => {
  async function userInTwoTeams() {
    const account = await signUp("First");
    const second = await call("POST", "/v1/teams", { token: account.accessToken, body: { name: "Second" } });
    expect(second.status).toBe(201);
    return { account, secondTeamId: second.body.id as string };
  }

  it("a user with one team may omit X-Team-Id", async () => {
    const account = await signUp();
    expect((await call("GET", "/v1/api-keys", { token: account.accessToken })).status).toBe(200);
  });

  it("without X-Team-Id a team-scoped route answers 400 team_required", async () => {
    const { account } = await userInTwoTeams();
    expectError(await call("GET", "/v1/api-keys", { token: account.accessToken }), 400, "team_required");
    const made = await call("POST", "/v1/api-keys", { token: account.accessToken, body: { name: "which team?", type: "secret" } });
    expectError(made, 400, "team_required");
  });

  it("a team the user is not in answers 403 team_access_denied", async () => {
    const { account } = await userInTwoTeams();
    const stranger = await signUp();
    const res = await call("GET", "/v1/api-keys", { token: account.accessToken, headers: asTeam(stranger.teamId) });
    expectError(res, 403, "team_access_denied");
    const made = await call("POST", "/v1/api-keys", {
      token: account.accessToken,
      headers: asTeam(stranger.teamId),
      body: { name: "sneaky", type: "secret" },
    });
    expectError(made, 403, "team_access_denied");
    const theirs = await call("GET", "/v1/api-keys", { token: stranger.accessToken });
    expect(theirs.status).toBe(200);
    expect(theirs.body.data).toHaveLength(0);
  });

  it("with one of the user's teams the request acts on that team", async () => {
    const { account, secondTeamId } = await userInTwoTeams();
    const created = await call("POST", "/v1/api-keys", {
      token: account.accessToken,
      headers: asTeam(secondTeamId),
      body: { name: "second-team key", type: "secret" },
    });
    expect(created.status).toBe(201);

    const inSecond = await call("GET", "/v1/api-keys", { token: account.accessToken, headers: asTeam(secondTeamId) });
    expect(inSecond.status).toBe(200);
    expect(inSecond.body.data.map((k: { id: string }) => k.id)).toEqual([created.body.id]);

    const inFirst = await call("GET", "/v1/api-keys", { token: account.accessToken, headers: asTeam(account.teamId) });
    expect(inFirst.status).toBe(200);
    expect(inFirst.body.data).toHaveLength(0);
  });
});

describe("GET /v1/teams/{id}/members", () => {
  it("any member may list, with each member's email and role", async () => {
    const team = await teamWith("admin", "developer", "viewer");
    for (const who of [team.owner, team.added.admin, team.added.developer, team.added.viewer]) {
      const res = await members(who.accessToken, team.teamId);
      expect(res.status).toBe(200);
      expect(res.body.has_more).toBe(false);
      const byUser = Object.fromEntries(res.body.data.map((m: { user_id: string; role: string }) => [m.user_id, m.role]));
      expect(byUser).toEqual({
        [team.owner.userId]: "owner",
        [team.added.admin.userId]: "admin",
        [team.added.developer.userId]: "developer",
        [team.added.viewer.userId]: "viewer",
      });
      expect(res.body.data).toEqual(
        expect.arrayContaining([expect.objectContaining({ user_id: team.added.viewer.userId, email: team.added.viewer.email, object: "team_member" })]),
      );
    }
  });

  it("paginates with limit and cursor", async () => {
    const team = await teamWith("admin", "developer");
    const first = await call("GET", `/v1/teams/${team.teamId}/members?limit=2`, { token: team.owner.accessToken });
    expect(first.status).toBe(200);
    expect(first.body.data).toHaveLength(2);
    expect(first.body.has_more).toBe(true);
    const second = await call("GET", `/v1/teams/${team.teamId}/members?limit=2&cursor=${first.body.next_cursor}`, {
      token: team.owner.accessToken,
    });
    expect(second.status).toBe(200);
    expect(second.body.data).toHaveLength(1);
    expect(second.body.has_more).toBe(false);
    const ids = [...first.body.data, ...second.body.data].map((m: { user_id: string }) => m.user_id).sort();
    expect(ids).toEqual([team.owner.userId, team.added.admin.userId, team.added.developer.userId].sort());
  });

  it("a team the user is not in answers 404 on every members route", async () => {
    const team = await teamWith("viewer");
    const outsider = await signUp();
    expectError(await members(outsider.accessToken, team.teamId), 404, "not_found");
    expectError(await addMember(outsider.accessToken, team.teamId, outsider.email, "owner"), 404, "not_found");
    expectError(await removeMember(outsider.accessToken, team.teamId, team.added.viewer.userId), 404, "not_found");
    // Nothing changed.
    const res = await members(team.owner.accessToken, team.teamId);
    expect(res.body.data.map((m: { user_id: string }) => m.user_id).sort()).toEqual([team.owner.userId, team.added.viewer.userId].sort());
  });

  it("a team id that does not exist answers 404", async () => {
    const account = await signUp();
    expectError(await members(account.accessToken, "team_doesnotexist000000000"), 404, "not_found");
  });
});

describe("POST /v1/teams/{id}/members", () => {
  it("an owner adds a member by email with a role; the member then sees the team", async () => {
    const owner = await signUp();
    const newcomer = await signUp();
    const res = await addMember(owner.accessToken, owner.teamId, newcomer.email.toUpperCase(), "developer");
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ object: "team_member", user_id: newcomer.userId, email: newcomer.email, role: "developer" });

    const me = await call("GET", "/v1/auth/me", { token: newcomer.accessToken });
    expect(me.body.teams).toEqual(expect.arrayContaining([expect.objectContaining({ id: owner.teamId, role: "developer" })]));
  });

  it("an admin adds members but not owners", async () => {
    const team = await teamWith("admin");
    const dev = await signUp();
    const added = await addMember(team.added.admin.accessToken, team.teamId, dev.email, "developer");
    expect(added.status).toBe(201);

    const wouldBeOwner = await signUp();
    expectError(await addMember(team.added.admin.accessToken, team.teamId, wouldBeOwner.email, "owner"), 403, "insufficient_role");
    const list = await members(team.owner.accessToken, team.teamId);
    expect(list.body.data.map((m: { user_id: string }) => m.user_id)).not.toContain(wouldBeOwner.userId);

    // An owner may add an owner.
    const byOwner = await addMember(team.owner.accessToken, team.teamId, wouldBeOwner.email, "owner");
    expect(byOwner.status).toBe(201);
    expect(byOwner.body.role).toBe("owner");
  });

  it("developers and viewers cannot add members: 403 insufficient_role", async () => {
    const team = await teamWith("developer", "viewer");
    const candidate = await signUp();
    for (const who of [team.added.developer, team.added.viewer]) {
      expectError(await addMember(who.accessToken, team.teamId, candidate.email, "viewer"), 403, "insufficient_role");
    }
    const list = await members(team.owner.accessToken, team.teamId);
    expect(list.body.data.map((m: { user_id: string }) => m.user_id)).not.toContain(candidate.userId);
  });

  it("an unknown email answers 404", async () => {
    const owner = await signUp();
    expectError(await addMember(owner.accessToken, owner.teamId, "nobody-here-123456@example.com", "viewer"), 404, "not_found");
  });

  it("an existing member answers 409 already_member and keeps their role", async () => {
    const team = await teamWith("viewer");
    expectError(await addMember(team.owner.accessToken, team.teamId, team.added.viewer.email, "admin"), 409, "already_member");
    expectError(await addMember(team.owner.accessToken, team.teamId, team.owner.email, "viewer"), 409, "already_member");
    const list = await members(team.owner.accessToken, team.teamId);
    const roles = Object.fromEntries(list.body.data.map((m: { user_id: string; role: string }) => [m.user_id, m.role]));
    expect(roles[team.added.viewer.userId]).toBe("viewer");
    expect(roles[team.owner.userId]).toBe("owner");
  });

  it("rejects an unknown role", async () => {
    const owner = await signUp();
    const other = await signUp();
    const res = await call("POST", `/v1/teams/${owner.teamId}/members`, {
      token: owner.accessToken,
      body: { email: other.email, role: "superuser" },
    });
    expectError(res, 400, "invalid_request");
    expect(res.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ path: "role" })]));
  });
});

describe("DELETE /v1/teams/{id}/members/{user_id}", () => {
  it("an owner removes a member → 204; the removed user loses access", async () => {
    const team = await teamWith("developer");
    const res = await removeMember(team.owner.accessToken, team.teamId, team.added.developer.userId);
    expect(res.status).toBe(204);
    const list = await members(team.owner.accessToken, team.teamId);
    expect(list.body.data.map((m: { user_id: string }) => m.user_id)).toEqual([team.owner.userId]);
    expectError(await members(team.added.developer.accessToken, team.teamId), 404, "not_found");
    expectError(
      await call("GET", "/v1/api-keys", { token: team.added.developer.accessToken, headers: asTeam(team.teamId) }),
      403,
      "team_access_denied",
    );
  });

  it("an admin removes a developer but not an owner", async () => {
    const team = await teamWith("admin", "developer");
    expect((await removeMember(team.added.admin.accessToken, team.teamId, team.added.developer.userId)).status).toBe(204);
    expectError(await removeMember(team.added.admin.accessToken, team.teamId, team.owner.userId), 403, "insufficient_role");
  });

  it("developers and viewers cannot remove members", async () => {
    const team = await teamWith("developer", "viewer");
    expectError(await removeMember(team.added.developer.accessToken, team.teamId, team.added.viewer.userId), 403, "insufficient_role");
    expectError(await removeMember(team.added.viewer.accessToken, team.teamId, team.added.developer.userId), 403, "insufficient_role");
    const list = await members(team.owner.accessToken, team.teamId);
    expect(list.body.data).toHaveLength(3);
  });

  it("a user who is not a member answers 404", async () => {
    const owner = await signUp();
    const stranger = await signUp();
    expectError(await removeMember(owner.accessToken, owner.teamId, stranger.userId), 404, "not_found");
  });

  it("the last owner cannot be removed: 409 last_owner", async () => {
    const team = await teamWith("admin");
    expectError(await removeMember(team.owner.accessToken, team.teamId, team.owner.userId), 409, "last_owner");
    const list = await members(team.owner.accessToken, team.teamId);
    expect(list.body.data).toEqual(expect.arrayContaining([expect.objectContaining({ user_id: team.owner.userId, role: "owner" })]));
  });

  it("with two owners, one may leave; then the other is the last", async () => {
    const team = await teamWith("owner");
    const coOwner = team.added.owner;
    expect((await removeMember(team.owner.accessToken, team.teamId, team.owner.userId)).status).toBe(204);
    expectError(await members(team.owner.accessToken, team.teamId), 404, "not_found");
    expectError(await removeMember(coOwner.accessToken, team.teamId, coOwner.userId), 409, "last_owner");
    const list = await members(coOwner.accessToken, team.teamId);
    expect(list.body.data).toEqual([expect.objectContaining({ user_id: coOwner.userId, role: "owner" })]);
  });

  it("removing the same member twice at once: one 204, the other 404 (it is gone), never last_owner", async () => {
    const team = await teamWith("viewer");
    const viewer = team.added.viewer;
    const results = await Promise.all(Array.from({ length: 3 }, () => removeMember(team.owner.accessToken, team.teamId, viewer.userId)));
    expect(results.map((r) => r.status).sort()).toEqual([204, 404, 404]);
    for (const r of results.filter((r) => r.status !== 204)) expectError(r, 404, "not_found");
  });

  /** Exactly one owner is left and exactly one removal answered 204; the loser is refused, never a 5xx. */
  async function expectOneOwnerLeft(teamId: string, owners: Account[], results: { status: number; body: any }[]) {
    expect(results.map((r) => r.status).filter((s) => s === 204)).toHaveLength(1);
    const loser = results.find((r) => r.status !== 204)!;
    // The loser either saw the conflict (409 last_owner) or, if its caller had already been removed, no team (404).
    expect([409, 404]).toContain(loser.status);
    expect(loser.body.error).toBe(loser.status === 409 ? "last_owner" : "not_found");
    // Whoever is still in the team lists it: one owner, and the team is not ownerless.
    const lists = await Promise.all(owners.map((o) => members(o.accessToken, teamId)));
    const visible = lists.filter((l) => l.status === 200);
    expect(visible).toHaveLength(1);
    const ownersLeft = visible[0]!.body.data.filter((m: { role: string }) => m.role === "owner");
    expect(ownersLeft).toHaveLength(1);
  }

  it("two owners removing each other concurrently: exactly one succeeds and one owner remains", async () => {
    for (let round = 0; round < 3; round++) {
      const team = await teamWith("owner");
      const a = team.owner;
      const b = team.added.owner;
      const results = await Promise.all([
        removeMember(a.accessToken, team.teamId, b.userId),
        removeMember(b.accessToken, team.teamId, a.userId),
      ]);
      await expectOneOwnerLeft(team.teamId, [a, b], results);
    }
  });

  it("one owner removing both owners concurrently: exactly one succeeds and one owner remains", async () => {
    for (let round = 0; round < 3; round++) {
      const team = await teamWith("owner");
      const a = team.owner;
      const b = team.added.owner;
      const results = await Promise.all([
        removeMember(a.accessToken, team.teamId, a.userId),
        removeMember(a.accessToken, team.teamId, b.userId),
      ]);
      await expectOneOwnerLeft(team.teamId, [a, b], results);
    }
  });
});

describe("roles on team-scoped routes", () => {
  it("a viewer can GET /v1/api-keys but not create a key", async () => {
    const team = await teamWith("viewer");
    const viewer = team.added.viewer;
    const list = await call("GET", "/v1/api-keys", { token: viewer.accessToken, headers: asTeam(team.teamId) });
    expect(list.status).toBe(200);
    const made = await call("POST", "/v1/api-keys", {
      token: viewer.accessToken,
      headers: asTeam(team.teamId),
      body: { name: "viewer key", type: "secret" },
    });
    expectError(made, 403, "insufficient_role");
    const after = await call("GET", "/v1/api-keys", { token: team.owner.accessToken });
    expect(after.body.data).toHaveLength(0);
  });

  it("a developer can create keys for the team", async () => {
    const team = await teamWith("developer");
    const dev = team.added.developer;
    const made = await call("POST", "/v1/api-keys", {
      token: dev.accessToken,
      headers: asTeam(team.teamId),
      body: { name: "dev key", type: "secret", scopes: ["read"] },
    });
    expect(made.status).toBe(201);
    expect(made.body.key).toMatch(/^vf_sk_/);
    const seen = await call("GET", "/v1/api-keys", { token: team.owner.accessToken });
    expect(seen.body.data.map((k: { id: string }) => k.id)).toEqual([made.body.id]);
    // The key belongs to the shared team, not the developer's own.
    const own = await call("GET", "/v1/api-keys", { token: dev.accessToken, headers: asTeam(dev.teamId) });
    expect(own.body.data).toHaveLength(0);
  });

  it("the role that applies is the one in the team named by X-Team-Id", async () => {
    // The viewer owns their own sign-up team: there they may create keys.
    const team = await teamWith("viewer");
    const viewer = team.added.viewer;
    const own = await call("POST", "/v1/api-keys", {
      token: viewer.accessToken,
      headers: asTeam(viewer.teamId),
      body: { name: "own key", type: "secret" },
    });
    expect(own.status).toBe(201);
  });
});
