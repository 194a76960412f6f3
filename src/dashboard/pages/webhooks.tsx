// Webhooks: endpoints (create shows the signing secret once), and one endpoint's deliveries with a test event.
import { Hono } from "hono";
import { CreateWebhookBody } from "../../routes/webhooks/schema";
import { listDeliveries } from "../../services/webhook-deliveries";
import { createWebhook, getWebhook, listWebhooks, sendTestEvent } from "../../services/webhooks";
import { cursorOf, type DashboardContext, type Draft, postCreateForm, parseWith, readForm, redirectTo, services } from "../context";
import { Csrf, FormError, type FormFields, invalidInputs, noticeOf, Page, Pager, SecretOnce, teamPath, when } from "../layout";
import type { DashboardEnv } from "../types";

export const webhookPages = new Hono<DashboardEnv>();

function shell(c: DashboardContext) {
  return { team: c.get("team"), teams: c.get("teams"), csrf: c.get("csrf"), section: "webhooks" as const, notice: noticeOf(c.req.query("notice")) };
}

/** The create form's inputs by the API fields they feed. */
const ENDPOINT_FIELDS: FormFields = {
  url: { input: "url", label: "URL" },
  events: { input: "events", label: "Events" },
  description: { input: "description", label: "Description" },
};

async function listPage(c: DashboardContext, draft?: Draft) {
  const { data } = await listWebhooks(services(c), { limit: 100 });
  const team = c.get("team");
  const v = draft?.values ?? {};
  const bad = invalidInputs(draft?.error, ENDPOINT_FIELDS);
  return c.html(
    <Page title="Webhooks" {...shell(c)}>
      <h1>Webhooks</h1>
      {data.length === 0 ? (
        <p class="empty">No endpoints.</p>
      ) : (
        <table>
          <thead>
            <tr><th>URL</th><th>Events</th><th>Status</th><th>Created</th></tr>
          </thead>
          <tbody>
            {data.map((w) => (
              <tr>
                <td data-label="URL"><a href={teamPath(team.id, "webhooks", `/${w.id}`)}>{w.url}</a></td>
                <td data-label="Events">{w.events.join(", ")}</td>
                <td data-label="Status"><span class={`status ${w.status}`}>{w.status}</span>{w.disabled_reason && <span class="muted"> ({w.disabled_reason})</span>}</td>
                <td data-label="Created">{when(w.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {team.role !== "viewer" && (
        <section class="card">
          <h2 id="new-endpoint">New endpoint</h2>
          <FormError error={draft?.error} fields={ENDPOINT_FIELDS} />
          <form method="post" action={teamPath(team.id, "webhooks")} class="grid" aria-labelledby="new-endpoint">
            <Csrf token={c.get("csrf")} />
            <label>URL<input name="url" type="url" required maxlength={2048} placeholder="https://shop.example.com/hooks/vauchflow" value={v.url} aria-invalid={bad.has("url") ? "true" : undefined} /></label>
            <label>Events (or * for all)<input name="events" value={v.events ?? "*"} required aria-invalid={bad.has("events") ? "true" : undefined} /></label>
            <label>Description<input name="description" maxlength={500} value={v.description} aria-invalid={bad.has("description") ? "true" : undefined} /></label>
            <button type="submit">Create endpoint</button>
          </form>
        </section>
      )}
    </Page>,
    draft ? draft.error.status : 200,
  );
}

webhookPages.get("/", (c) => listPage(c));

webhookPages.post("/", (c) => postCreateForm(c, (form) => create(c, form), (draft) => listPage(c, draft)));

async function create(c: DashboardContext, form: Record<string, string>) {
  const input = parseWith(CreateWebhookBody, {
    url: form.url,
    events: (form.events ?? "").split(/[\s,]+/).filter(Boolean),
    ...(form.description ? { description: form.description } : {}),
  });
  const created = await createWebhook(services(c), input);
  const team = c.get("team");
  const lead = <>The signing secret of <strong>{created.url}</strong>.</>;
  const back = { href: teamPath(team.id, "webhooks", `/${created.id}`), label: "Go to the endpoint" };
  return c.html(
    <SecretOnce shell={shell(c)} title="Endpoint created" lead={lead} secret={created.secret ?? ""} back={back} />,
    201,
  );
}

webhookPages.get("/:id", async (c) => {
  const ctx = services(c);
  const id = c.req.param("id");
  const [w, deliveries] = await Promise.all([getWebhook(ctx, id), listDeliveries(ctx, id, { limit: 100, cursor: cursorOf(c, "dlv") })]);
  const team = c.get("team");
  return c.html(
    <Page title="Webhook endpoint" {...shell(c)}>
      <p class="crumbs"><a href={teamPath(team.id, "webhooks")}>Webhooks</a></p>
      <h1>{w.url}</h1>
      <p class="muted">{w.id} · {w.events.join(", ")} · <span class={`status ${w.status}`}>{w.status}</span></p>
      {team.role !== "viewer" && w.status === "enabled" && (
        <form method="post" action={teamPath(team.id, "webhooks", `/${w.id}/test`)}>
          <Csrf token={c.get("csrf")} />
          <button type="submit">Send a test event</button>
        </form>
      )}
      <h2>Deliveries</h2>
      {deliveries.data.length === 0 ? (
        <p class="empty">No deliveries yet.</p>
      ) : (
        <table>
          <thead>
            <tr><th>Event</th><th>Attempt</th><th>Status</th><th>Response</th><th>Duration</th><th>Next attempt</th><th>Created</th></tr>
          </thead>
          <tbody>
            {deliveries.data.map((d) => (
              <tr>
                <td data-label="Event"><code>{d.event_type}</code></td>
                <td data-label="Attempt">{d.attempt}</td>
                <td data-label="Status"><span class={`status ${d.status}`}>{d.status}</span></td>
                <td data-label="Response">{d.response_status ?? "—"}</td>
                <td data-label="Duration">{d.duration_ms === null ? "—" : `${d.duration_ms} ms`}</td>
                <td data-label="Next attempt">{when(d.next_attempt_at)}</td>
                <td data-label="Created">{when(d.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager url={c.req.url} next={deliveries.next_cursor} />
    </Page>,
  );
});

webhookPages.post("/:id/test", async (c) => {
  await readForm(c);
  const id = c.req.param("id");
  await sendTestEvent(services(c), id);
  return redirectTo(c, teamPath(c.get("team").id, "webhooks", `/${id}`), "webhook_test_sent");
});
