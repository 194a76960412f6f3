// Campaigns: the list with a create form, and one campaign with its stats kept live and pause/resume.
import { Hono } from "hono";
import { CreateCampaignBody } from "../../routes/campaigns/schema";
import { createCampaign, getCampaign, listCampaigns, pauseCampaign } from "../../services/campaigns";
import { type DashboardContext, type Draft, numberField, postCreateForm, parseWith, readForm, redirectTo, services } from "../context";
import { Csrf, FormError, type FormFields, invalidInputs, money, noticeOf, Page, teamPath, when } from "../layout";
import type { DashboardEnv } from "../types";

export const campaignPages = new Hono<DashboardEnv>();

function shell(c: DashboardContext) {
  return { team: c.get("team"), teams: c.get("teams"), csrf: c.get("csrf"), section: "campaigns" as const, notice: noticeOf(c.req.query("notice")) };
}

function discountText(discount: Record<string, unknown> | null, currency: string | null): string {
  if (!discount) return "—";
  if (discount.type === "percent") return `${discount.percent_off}% off`;
  if (discount.type === "amount") return `${money(discount.amount_off as number, currency)} off`;
  return "Free shipping";
}

/** The create form's inputs by the API fields they feed. */
const CAMPAIGN_FIELDS: FormFields = {
  name: { input: "name", label: "Name" },
  "discount.percent_off": { input: "discount_value", label: "Value" },
  "discount.amount_off": { input: "discount_value", label: "Value" },
  discount: { input: "discount_value", label: "Value" },
  currency: { input: "currency", label: "Currency" },
  "budget_cap.amount": { input: "budget_cap", label: "Budget cap" },
  budget_cap: { input: "budget_cap", label: "Budget cap" },
  per_customer_limit: { input: "per_customer_limit", label: "Uses per customer" },
};

async function listPage(c: DashboardContext, draft?: Draft) {
  const ctx = services(c);
  const { data } = await listCampaigns(ctx, { limit: 100 });
  const team = c.get("team");
  const v = draft?.values ?? {};
  const bad = invalidInputs(draft?.error, CAMPAIGN_FIELDS);
  return c.html(
    <Page title="Campaigns" {...shell(c)}>
      <h1>Campaigns</h1>
      {data.length === 0 ? (
        <p class="empty">No campaigns yet.</p>
      ) : (
        <table>
          <thead>
            <tr><th>Name</th><th>Status</th><th>Discount</th><th>Budget</th><th>Created</th></tr>
          </thead>
          <tbody>
            {data.map((k) => (
              <tr>
                <td data-label="Name"><a href={teamPath(team.id, "campaigns", `/${k.id}`)}>{k.name}</a></td>
                <td data-label="Status"><span class={`status ${k.status}`}>{k.status}</span></td>
                <td data-label="Discount">{discountText(k.discount, k.currency)}</td>
                <td data-label="Budget">{money(k.budget_cap?.amount, k.currency)}</td>
                <td data-label="Created">{when(k.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {team.role !== "viewer" && (
        <section class="card">
          <h2 id="new-campaign">New campaign</h2>
          <FormError error={draft?.error} fields={CAMPAIGN_FIELDS} />
          <form method="post" action={teamPath(team.id, "campaigns")} class="grid" aria-labelledby="new-campaign">
            <Csrf token={c.get("csrf")} />
            <label>Name<input name="name" required maxlength={200} value={v.name} aria-invalid={bad.has("name") ? "true" : undefined} /></label>
            <label>
              Discount
              <select name="discount_type">
                <option value="percent" selected={v.discount_type !== "amount"}>Percent off</option>
                <option value="amount" selected={v.discount_type === "amount"}>Amount off</option>
              </select>
            </label>
            <label>Value (percent, or amount in cents)<input name="discount_value" inputmode="numeric" required value={v.discount_value} aria-invalid={bad.has("discount_value") ? "true" : undefined} /></label>
            <label>Currency (needed for amounts)<input name="currency" placeholder="EUR" maxlength={3} value={v.currency} aria-invalid={bad.has("currency") ? "true" : undefined} /></label>
            <label>Budget cap in cents (optional)<input name="budget_cap" inputmode="numeric" value={v.budget_cap} aria-invalid={bad.has("budget_cap") ? "true" : undefined} /></label>
            <label>Uses per customer (optional)<input name="per_customer_limit" inputmode="numeric" value={v.per_customer_limit} aria-invalid={bad.has("per_customer_limit") ? "true" : undefined} /></label>
            <button type="submit">Create campaign</button>
          </form>
        </section>
      )}
    </Page>,
    draft ? draft.error.status : 200,
  );
}

campaignPages.get("/", (c) => listPage(c));

campaignPages.post("/", (c) => postCreateForm(c, (form) => create(c, form), (draft) => listPage(c, draft)));

async function create(c: DashboardContext, form: Record<string, string>) {
  const value = numberField(form.discount_value);
  const discount = form.discount_type === "amount" ? { type: "amount", amount_off: value } : { type: "percent", percent_off: value };
  const budget = numberField(form.budget_cap);
  const input = parseWith(CreateCampaignBody, {
    name: form.name,
    discount,
    ...(form.currency ? { currency: form.currency.toUpperCase() } : {}),
    ...(budget === undefined ? {} : { budget_cap: { amount: budget } }),
    ...(form.per_customer_limit ? { per_customer_limit: numberField(form.per_customer_limit) } : {}),
  });
  const campaign = await createCampaign(services(c), input);
  return redirectTo(c, teamPath(c.get("team").id, "campaigns", `/${campaign.id}`), "campaign_created");
}

/** What the page's script polls: the same stats GET /v1/campaigns/{id} answers. */
campaignPages.get("/:id/stats", async (c) => {
  const campaign = await getCampaign(services(c), c.req.param("id"));
  return c.json({ status: campaign.status, ...campaign.stats, currency: campaign.currency });
});

campaignPages.get("/:id", async (c) => {
  const k = await getCampaign(services(c), c.req.param("id"));
  const team = c.get("team");
  const base = teamPath(team.id, "campaigns", `/${k.id}`);
  const stat = (name: string, label: string, value: string | number) => (
    <div class="stat">
      <span class="label">{label}</span>
      <span class="value" data-stat={name}>{value}</span>
    </div>
  );
  return c.html(
    <Page title={k.name} {...shell(c)} scripts={["/assets/live-stats.js"]}>
      <p class="crumbs"><a href={teamPath(team.id, "campaigns")}>Campaigns</a></p>
      <h1>
        {k.name} <span class={`status ${k.status}`} data-stat="status">{k.status}</span>
      </h1>
      <p class="muted">
        {k.id} · {discountText(k.discount, k.currency)} · created {when(k.created_at)}
      </p>
      <section class="stats" data-live-stats={`${base}/stats`} data-currency={k.currency ?? ""} aria-live="polite">
        {stat("redemptions_count", "Redemptions", k.stats.redemptions_count)}
        {stat("discount_total", "Discount given", money(k.stats.discount_total, k.currency))}
        {stat("vouchers_count", "Vouchers", k.stats.vouchers_count)}
        {stat("vouchers_redeemed_count", "Vouchers redeemed", k.stats.vouchers_redeemed_count)}
        {stat("budget_remaining", "Budget remaining", money(k.stats.budget_remaining, k.currency))}
      </section>
      <p class="muted small">Stats refresh every few seconds.</p>
      {team.role !== "viewer" && (k.status === "active" || k.status === "paused") && (
        <form method="post" action={`${base}/pause`}>
          <Csrf token={c.get("csrf")} />
          <input type="hidden" name="paused" value={k.status === "paused" ? "false" : "true"} />
          <button type="submit">{k.status === "paused" ? "Resume campaign" : "Pause campaign"}</button>
        </form>
      )}
      <p>
        <a href={`${teamPath(team.id, "vouchers")}?campaign_id=${k.id}`}>This campaign's vouchers</a>
      </p>
    </Page>,
  );
});

campaignPages.post("/:id/pause", async (c) => {
  const form = await readForm(c);
  const paused = form.paused === "true";
  await pauseCampaign(services(c), c.req.param("id"), paused);
  return redirectTo(c, teamPath(c.get("team").id, "campaigns", `/${c.req.param("id")}`), paused ? "campaign_paused" : "campaign_resumed");
});
