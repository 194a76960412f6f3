// API keys: the list, create (the secret is shown on the answer page, once), rotate (likewise), revoke, and each
// key's audit log.
import { Hono } from "hono";
import { CreateAgentKeyBody, CreateKeyBody, RotateKeyBody } from "../../routes/api-keys/schema";
import { createAgentKey, createKey, listKeys, revokeKey, rotateKey } from "../../services/api-keys";
import { listAuditLog } from "../../services/audit-log";
import { cursorOf, type DashboardContext, type Draft, postCreateForm, numberField, parseWith, readForm, redirectTo, services } from "../context";
import { Csrf, FormError, type FormFields, invalidInputs, noticeOf, Page, Pager, SecretOnce, teamPath, when } from "../layout";
import type { DashboardEnv } from "../types";

export const keyPages = new Hono<DashboardEnv>();

function shell(c: DashboardContext) {
  return { team: c.get("team"), teams: c.get("teams"), csrf: c.get("csrf"), section: "keys" as const, notice: noticeOf(c.req.query("notice")) };
}

/** Lists typed as free text: comma, space or newline separated. */
const listField = (value: string | undefined) => (value ?? "").split(/[\s,]+/).filter(Boolean);

/**
 * How long a rotated key's old secret keeps working (the API's expire_old_in_seconds). The form offers an hour
 * by default, so servers can move to the new secret; the API's own default, no grace, stays one choice away.
 */
const ROTATION_GRACE: [number, string][] = [
  [0, "no longer"],
  [3600, "1 hour"],
  [86_400, "24 hours"],
  [604_800, "7 days"],
];
const DEFAULT_GRACE_SECONDS = 3600;

/** The page a new or rotated key's secret is shown on. */
function KeySecret(props: { c: DashboardContext; title: string; keyName: string; secret: string }) {
  const lead = <>The secret of <strong>{props.keyName}</strong>.</>;
  const back = { href: teamPath(props.c.get("team").id, "keys"), label: "Back to API keys" };
  return <SecretOnce shell={shell(props.c)} title={props.title} lead={lead} secret={props.secret} back={back} />;
}

/** The create form's inputs by the API fields they feed. */
const KEY_FIELDS: FormFields = {
  name: { input: "name", label: "Name" },
  scopes: { input: "scopes", label: "Scopes" },
  allowed_origins: { input: "allowed_origins", label: "Allowed origins" },
  ttl_days: { input: "ttl_days", label: "Agent key lifetime" },
};

async function listPage(c: DashboardContext, draft?: Draft) {
  const { data } = await listKeys(services(c), { limit: 100 });
  const team = c.get("team");
  const writer = team.role !== "viewer";
  const v = draft?.values ?? {};
  const bad = invalidInputs(draft?.error, KEY_FIELDS);
  return c.html(
    <Page title="API keys" {...shell(c)}>
      <h1>API keys</h1>
      {data.length === 0 ? (
        <p class="empty">No active keys.</p>
      ) : (
        <table>
          <thead>
            <tr><th>Name</th><th>Type</th><th>Key</th><th>Scopes / origins</th><th>Last used</th><th>Expires</th><th></th></tr>
          </thead>
          <tbody>
            {data.map((k) => (
              <tr data-key-id={k.id}>
                <td data-label="Name">{k.name}</td>
                <td data-label="Type">{k.type}</td>
                <td data-label="Key"><code>{k.display_key}</code></td>
                <td data-label="Scopes / origins">{k.type === "publishable" ? k.allowed_origins.join(", ") : k.scopes.join(", ")}</td>
                <td data-label="Last used">{when(k.last_used_at)}</td>
                <td data-label="Expires">{when(k.expires_at)}</td>
                <td class="row-actions">
                  <a href={teamPath(team.id, "keys", `/${k.id}/audit`)}>Audit log</a>
                  {writer && k.type !== "agent" && (
                    <form method="post" action={teamPath(team.id, "keys", `/${k.id}/rotate`)} class="inline" data-confirm={`Rotate "${k.name}"? Its current secret stops working once the time chosen beside the button has passed: every server using it needs the new one by then.`}>
                      <Csrf token={c.get("csrf")} />
                      <label>
                        Old secret works for{" "}
                        <select name="expire_old_in_seconds">
                          {ROTATION_GRACE.map(([seconds, label]) => (
                            <option value={String(seconds)} selected={seconds === DEFAULT_GRACE_SECONDS}>
                              {label}
                            </option>
                          ))}
                        </select>
                      </label>{" "}
                      <button type="submit">Rotate</button>
                    </form>
                  )}
                  {writer && (
                    <form method="post" action={teamPath(team.id, "keys", `/${k.id}/revoke`)} class="inline" data-confirm={`Revoke "${k.name}"? Every request with it is refused from then on; this cannot be undone.`}>
                      <Csrf token={c.get("csrf")} />
                      <button type="submit" class="danger">Revoke</button>
                    </form>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {writer && (
        <section class="card">
          <h2 id="new-key">New key</h2>
          <FormError error={draft?.error} fields={KEY_FIELDS} />
          <form method="post" action={teamPath(team.id, "keys")} class="grid" aria-labelledby="new-key">
            <Csrf token={c.get("csrf")} />
            <label>Name<input name="name" required maxlength={100} value={v.name} aria-invalid={bad.has("name") ? "true" : undefined} /></label>
            <label>
              Type
              <select name="type">
                <option value="secret" selected={v.type === "secret"}>Secret (servers)</option>
                <option value="publishable" selected={v.type === "publishable"}>Publishable (browsers: validate only)</option>
                <option value="agent" selected={v.type === "agent"}>Agent (AI agents, expires)</option>
              </select>
            </label>
            <label>Scopes (secret: default admin; agent: required)<input name="scopes" placeholder="read:vouchers write:campaigns" value={v.scopes} aria-invalid={bad.has("scopes") ? "true" : undefined} /></label>
            <label>Allowed origins (publishable)<input name="allowed_origins" placeholder="https://shop.example.com" value={v.allowed_origins} aria-invalid={bad.has("allowed_origins") ? "true" : undefined} /></label>
            <label>Agent key lifetime in days<input name="ttl_days" inputmode="numeric" placeholder="7" value={v.ttl_days} aria-invalid={bad.has("ttl_days") ? "true" : undefined} /></label>
            <button type="submit">Create key</button>
          </form>
        </section>
      )}
    </Page>,
    draft ? draft.error.status : 200,
  );
}

keyPages.get("/", (c) => listPage(c));

keyPages.post("/", (c) => postCreateForm(c, (form) => create(c, form), (draft) => listPage(c, draft)));

async function create(c: DashboardContext, form: Record<string, string>) {
  const ctx = services(c);
  const scopes = listField(form.scopes);
  if (form.type === "agent") {
    const ttl = numberField(form.ttl_days);
    const created = await createAgentKey(ctx, parseWith(CreateAgentKeyBody, { name: form.name, scopes, ...(ttl === undefined ? {} : { ttl_days: ttl }) }));
    return c.html(<KeySecret c={c} title="Agent key created" keyName={created.name} secret={created.key} />, 201);
  }
  const origins = listField(form.allowed_origins);
  const input = parseWith(CreateKeyBody, {
    name: form.name,
    type: form.type,
    ...(scopes.length ? { scopes } : {}),
    ...(origins.length ? { allowed_origins: origins } : {}),
  });
  const created = await createKey(ctx, input);
  return c.html(<KeySecret c={c} title="Key created" keyName={created.name} secret={created.key} />, 201);
}

keyPages.post("/:id/rotate", async (c) => {
  const form = await readForm(c);
  const input = parseWith(RotateKeyBody, { expire_old_in_seconds: numberField(form.expire_old_in_seconds) });
  const rotated = await rotateKey(services(c), c.req.param("id"), input);
  return c.html(<KeySecret c={c} title="Key rotated" keyName={rotated.name} secret={rotated.key} />);
});

keyPages.post("/:id/revoke", async (c) => {
  await readForm(c);
  await revokeKey(services(c), c.req.param("id"));
  return redirectTo(c, teamPath(c.get("team").id, "keys"), "key_revoked");
});

keyPages.get("/:id/audit", async (c) => {
  const id = c.req.param("id");
  const { data, next_cursor } = await listAuditLog(services(c), id, { limit: 100, cursor: cursorOf(c, "req") });
  const team = c.get("team");
  return c.html(
    <Page title="Audit log" {...shell(c)}>
      <p class="crumbs"><a href={teamPath(team.id, "keys")}>API keys</a></p>
      <h1>Audit log of <code>{id}</code></h1>
      <p class="muted">Requests that changed something, and refused ones. Entries arrive a moment after the request.</p>
      {data.length === 0 ? (
        <p class="empty">No entries yet.</p>
      ) : (
        <table>
          <thead>
            <tr><th>When</th><th>Request</th><th>Status</th><th>Request id</th><th>Approval</th></tr>
          </thead>
          <tbody>
            {data.map((e) => (
              <tr>
                <td data-label="When">{when(e.at)}</td>
                <td data-label="Request"><code>{e.method} {e.path}</code></td>
                <td data-label="Status">{e.status}</td>
                <td data-label="Request id"><code>{e.request_id}</code></td>
                <td data-label="Approval">{e.approval_id ? <a href={teamPath(team.id, "approvals", `/${e.approval_id}`)}>{e.approval_id}</a> : "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager url={c.req.url} next={next_cursor} />
    </Page>,
  );
});
