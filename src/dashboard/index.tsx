// GET /dashboard: server-rendered pages for team members over the same service verbs as the REST routes. Sign-in
// opens a session (login(), as POST /v1/auth/login) kept in an HttpOnly, Secure, SameSite=Strict cookie; every
// POST must come from this origin and carry the session's CSRF token; every page has a strict CSP and loads
// script only from this worker. Kept out of /openapi.json on purpose: it is a UI, not part of the API.
import { Hono } from "hono";
import type { MiddlewareHandler } from "hono";
import { ApiError } from "../errors";
import { audit } from "../middleware/audit";
import { LoginBody } from "../routes/auth/schema";
import { endSession, login } from "../services/auth";
import { verifyAccessToken } from "../lib/tokens";
import { type DashboardContext, parseForm, parseWith, readForm, services } from "./context";
import { noticeOf, Page, SECTIONS, teamPath } from "./layout";
import { approvalPages } from "./pages/approvals";
import { campaignPages } from "./pages/campaigns";
import { keyPages } from "./pages/keys";
import { webhookPages } from "./pages/webhooks";
import { voucherPages } from "./pages/vouchers";
import { actorFor, clearSession, csrfToken, readSession, startSession } from "./session";
import type { DashboardEnv } from "./types";

export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export const dashboardRoutes = new Hono<DashboardEnv>();

dashboardRoutes.use("*", async (c, next) => {
  await next();
  const headers = c.res.headers;
  headers.set("Content-Security-Policy", DASHBOARD_CSP);
  headers.set("X-Frame-Options", "DENY");
  headers.set("X-Content-Type-Options", "nosniff");
  // Team ids and voucher codes are in the URLs: they never leave for another origin in a Referer. (Not no-referrer:
  // with it, Chromium sends "Origin: null" on the page's own forms, and the Origin check below needs the real one.)
  headers.set("Referrer-Policy", "same-origin");
  headers.set("Cache-Control", "no-store");
});

/** Every state change is a POST from a page of this very origin (a forged cross-site form has another Origin, or none). */
dashboardRoutes.use("*", async (c, next) => {
  if (c.req.method === "GET" || c.req.method === "HEAD") return next();
  if (c.req.header("Origin") !== new URL(c.req.url).origin) {
    throw new ApiError("origin_not_allowed", "This form was not sent from the dashboard: reload the page and try again.");
  }
  return next();
});

// POSTs change state and are audited as the REST routes are: the user's entry, or the refusal.
dashboardRoutes.use("*", audit as unknown as MiddlewareHandler<DashboardEnv>, async (c, next) => {
  c.set("changesState", c.req.method === "POST");
  await next();
});

function SignIn(props: { notice?: string | null; error?: string; email?: string }) {
  return (
    <Page title="Sign in" notice={props.notice}>
      <section class="card narrow">
        <h1>Sign in</h1>
        {props.error && <p class="error" role="alert">{props.error}</p>}
        <form method="post" action="/dashboard/login" class="stack">
          <label>Email<input name="email" type="email" autocomplete="username" value={props.email} required /></label>
          <label>Password<input name="password" type="password" autocomplete="current-password" required /></label>
          <button type="submit">Sign in</button>
        </form>
      </section>
    </Page>
  );
}

dashboardRoutes.get("/login", (c) => c.html(<SignIn notice={noticeOf(c.req.query("notice"))} />));

dashboardRoutes.post("/login", async (c) => {
  const body = await parseForm(c);
  const input = parseWith(LoginBody, { email: body.email, password: body.password });
  try {
    const tokens = await login(c.env, input);
    const claims = await verifyAccessToken(tokens.access_token, c.env.JWT_SECRET);
    if (!claims) throw new ApiError("internal_error");
    await startSession(c, c.env.JWT_SECRET, { userId: claims.sub, sessionId: claims.sid });
  } catch (err) {
    if (!(err instanceof ApiError) || err.code !== "invalid_credentials") throw err;
    return c.html(<SignIn error={err.message} email={input.email} />, 401);
  }
  return c.redirect("/dashboard", 303);
});

/** Reads the cookie's session into the context; `teamId` null on pages outside a team. False when signed out. */
async function signIn(c: DashboardContext, teamId: string | null): Promise<boolean> {
  const session = await readSession(c, c.env.JWT_SECRET);
  if (!session) return false;
  // The team in the URL is the user's only once actorFor found the membership: a refusal is audited under no team.
  c.set("auditSubject", { teamId: null, credentialId: session.userId });
  const found = await actorFor(c.env, session, teamId);
  if (!found) {
    clearSession(c);
    return false;
  }
  c.set("auditSubject", { teamId: found.actor.teamId, credentialId: session.userId });
  c.set("session", session);
  c.set("actor", found.actor);
  c.set("teams", found.teams);
  c.set("csrf", await csrfToken(c.env, session));
  const team = found.teams.find((t) => t.id === teamId);
  if (team) c.set("team", team);
  return true;
}

dashboardRoutes.post("/logout", async (c) => {
  if (await signIn(c, null)) {
    await readForm(c);
    await endSession(services(c));
  }
  clearSession(c);
  return c.redirect("/dashboard/login?notice=signed_out", 303);
});

dashboardRoutes.get("/", async (c) => {
  if (!(await signIn(c, null))) return c.redirect("/dashboard/login", 303);
  const first = c.get("teams")[0];
  if (first) return c.redirect(teamPath(first.id, "campaigns"), 303);
  return c.html(
    <Page title="No team" csrf={c.get("csrf")}>
      <h1>You are not in any team yet</h1>
      <p>Ask a team owner or admin to add you (POST /v1/teams/&#123;id&#125;/members), or create one with POST /v1/teams.</p>
    </Page>,
  );
});

dashboardRoutes.use("/:team/*", async (c, next) => {
  if (!(await signIn(c, c.req.param("team")))) return c.redirect("/dashboard/login", 303);
  return next();
});
dashboardRoutes.get("/:team", (c) => c.redirect(teamPath(c.req.param("team"), "campaigns"), 303));
dashboardRoutes.route("/:team/campaigns", campaignPages);
dashboardRoutes.route("/:team/vouchers", voucherPages);
dashboardRoutes.route("/:team/approvals", approvalPages);
dashboardRoutes.route("/:team/keys", keyPages);
dashboardRoutes.route("/:team/webhooks", webhookPages);

/** A refusal or a mistake, as a page: what the API would have said, and a way back to the section. */
dashboardRoutes.onError((err, c) => {
  const error = err instanceof ApiError ? err : new ApiError("internal_error");
  if (!(err instanceof ApiError)) console.error(JSON.stringify({ level: "error", request_id: c.get("requestId"), error: err.name, message: err.message }));
  for (const [name, value] of Object.entries(error.headers ?? {})) c.header(name, value);
  // Back to the section, in a team the user is a member of: the page of a team they are not in would only refuse again.
  const team = c.get("team");
  const asked = /^\/dashboard\/team_[^/]+\/([a-z]+)/.exec(c.req.path)?.[1];
  const section = SECTIONS.find(([key]) => key === asked)?.[0];
  const back = team && section ? teamPath(team.id, section) : "/dashboard";
  return c.html(
    <Page title="Not done" team={team} teams={c.get("teams")} section={section} csrf={c.get("csrf")}>
      <section class="card">
        <h1>Not done</h1>
        <p class="error" role="alert">
          {error.message} <span class="muted">({error.code})</span>
        </p>
        {error.details && (
          <ul class="details">
            {error.details.map((d) => (
              <li><code>{d.path}</code>: {d.message}</li>
            ))}
          </ul>
        )}
        <p><a href={back}>{team && section ? `Back to ${SECTIONS.find(([key]) => key === section)?.[1]}` : "Back to the dashboard"}</a></p>
        <p class="muted small">Request {c.get("requestId")}</p>
      </section>
    </Page>,
    error.status,
  );
});
