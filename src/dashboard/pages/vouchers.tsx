// Vouchers: search by code (or a campaign's), one voucher with its redemption history, and rollback.
import { Hono } from "hono";
import { ListVouchersQuery, RollbackBody } from "../../routes/vouchers/schema";
import { listVouchers } from "../../services/voucher-list";
import { listVoucherRedemptions } from "../../services/voucher-redemptions";
import { rollbackRedemption } from "../../services/redemptions";
import type { Discount } from "../../domain/voucher-rules";
import { cursorOf, type DashboardContext, parseWith, readForm, redirectTo, services } from "../context";
import { Csrf, money, noticeOf, Page, Pager, teamPath, when } from "../layout";
import type { DashboardEnv } from "../types";

export const voucherPages = new Hono<DashboardEnv>();

function shell(c: DashboardContext) {
  return { team: c.get("team"), teams: c.get("teams"), csrf: c.get("csrf"), section: "vouchers" as const, notice: noticeOf(c.req.query("notice")) };
}

voucherPages.get("/", async (c) => {
  const code = c.req.query("code")?.trim() ?? "";
  const campaignId = c.req.query("campaign_id")?.trim() ?? "";
  const team = c.get("team");
  const filters = parseWith(ListVouchersQuery.pick({ code_prefix: true, campaign_id: true }), {
    ...(code ? { code_prefix: code } : {}),
    ...(campaignId ? { campaign_id: campaignId } : {}),
  });
  const { data, next_cursor } = await listVouchers(services(c), { limit: 50, ...filters, cursor: cursorOf(c, "vch") });
  return c.html(
    <Page title="Vouchers" {...shell(c)}>
      <h1>Vouchers</h1>
      <form method="get" action={teamPath(team.id, "vouchers")} class="search" role="search">
        <label>
          Code starts with
          <input name="code" value={code} maxlength={64} autocomplete="off" />
        </label>
        {campaignId && <input type="hidden" name="campaign_id" value={campaignId} />}
        <button type="submit">Search</button>
      </form>
      {campaignId && <p class="muted">In campaign {campaignId}.</p>}
      {data.length === 0 ? (
        code || campaignId ? (
          <p class="empty">
            No vouchers {code ? <>with a code starting with <code>{code}</code></> : null}{code && campaignId ? " " : null}
            {campaignId ? "in this campaign" : null}. <a href={teamPath(team.id, "vouchers")}>Show all vouchers</a>
          </p>
        ) : (
          <p class="empty">No vouchers yet. They are made through the API (<code>POST /v1/vouchers</code>, or in bulk with <code>POST /v1/vouchers/bulk</code>) and are listed here once made.</p>
        )
      ) : (
        <table>
          <thead>
            <tr><th>Code</th><th>Type</th><th>Redemptions</th><th>Active</th><th>Expires</th></tr>
          </thead>
          <tbody>
            {data.map((v) => (
              <tr>
                <td data-label="Code"><a href={teamPath(team.id, "vouchers", `/${encodeURIComponent(v.code)}`)}><code>{v.code}</code></a></td>
                <td data-label="Type">{v.type}</td>
                <td data-label="Redemptions">{v.redemption_limit === null ? v.redemptions_count : `${v.redemptions_count} / ${v.redemption_limit}`}</td>
                <td data-label="Active">{v.active ? "yes" : "no"}</td>
                <td data-label="Expires">{when(v.expires_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager url={c.req.url} next={next_cursor} />
    </Page>,
  );
});

/** What a discount takes off an order, in words: "20 % off (at most 50.00 EUR)", "5.00 EUR off", "free shipping". */
function discountText(discount: Discount, currency: string | null): string {
  switch (discount.type) {
    case "percent":
      return `${discount.percent_off} % off${discount.max_discount_amount ? ` (at most ${money(discount.max_discount_amount, currency)})` : ""}`;
    case "amount":
      return `${money(discount.amount_off, currency)} off`;
    case "free_shipping":
      return "free shipping";
  }
}

voucherPages.get("/:code", async (c) => {
  const { voucher: v, redemptions } = await listVoucherRedemptions(services(c), c.req.param("code"), { limit: 100, cursor: cursorOf(c, "red") });
  const team = c.get("team");
  const base = teamPath(team.id, "vouchers", `/${encodeURIComponent(v.code)}`);
  const mayRollback = team.role !== "viewer";
  return c.html(
    <Page title={v.code} {...shell(c)}>
      <p class="crumbs"><a href={teamPath(team.id, "vouchers")}>Vouchers</a></p>
      <h1><code>{v.code}</code></h1>
      <dl class="facts">
        <dt>Type</dt><dd>{v.type}</dd>
        {v.discount && (<><dt>Gives</dt><dd>{discountText(v.discount, v.currency)}</dd></>)}
        <dt>Campaign</dt><dd>{v.campaign_id ? <a href={teamPath(team.id, "campaigns", `/${v.campaign_id}`)}>{v.campaign_id}</a> : "—"}</dd>
        <dt>Redemptions</dt><dd>{v.redemption_limit === null ? v.redemptions_count : `${v.redemptions_count} of ${v.redemption_limit}`}</dd>
        {v.gift_card && (<><dt>Balance</dt><dd>{money(v.gift_card.balance, v.currency)}</dd></>)}
        <dt>Active</dt><dd>{v.active ? "yes" : "no"}</dd>
        <dt>Expires</dt><dd>{when(v.expires_at)}</dd>
      </dl>
      <h2>Redemption history</h2>
      {redemptions.data.length === 0 ? (
        <p class="empty">No redemptions yet.</p>
      ) : (
        <table>
          <thead>
            <tr><th>When</th><th>Order</th><th>Customer</th><th>Discount</th><th>Status</th><th></th></tr>
          </thead>
          <tbody>
            {redemptions.data.map((r) => (
              <tr>
                <td data-label="When">{when(r.created_at)}</td>
                <td data-label="Order">{r.order.id ?? "—"}</td>
                <td data-label="Customer">{r.customer_id ?? "—"}</td>
                <td data-label="Discount">{money(r.discount_amount, r.currency)}</td>
                <td data-label="Status"><span class={`status ${r.status}`}>{r.status.replace("_", " ")}</span>{r.rollback_reason && <span class="muted"> ({r.rollback_reason})</span>}</td>
                <td>
                  {mayRollback && r.status === "redeemed" && (
                    <form method="post" action={`${base}/rollback`} class="inline" data-confirm={`Roll back this redemption${r.order.id ? ` (order ${r.order.id})` : ""}? The use, and any balance or budget it consumed, are given back; this cannot be undone.`}>
                      <Csrf token={c.get("csrf")} />
                      <input type="hidden" name="redemption_id" value={r.id} />
                      <input name="reason" placeholder="Reason (optional)" maxlength={200} aria-label="Rollback reason" />
                      <button type="submit" class="danger">Roll back</button>
                    </form>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager url={c.req.url} next={redemptions.next_cursor} />
    </Page>,
  );
});

voucherPages.post("/:code/rollback", async (c) => {
  const form = await readForm(c);
  const code = c.req.param("code");
  const input = parseWith(RollbackBody, { redemption_id: form.redemption_id, ...(form.reason ? { reason: form.reason } : {}) });
  await rollbackRedemption(services(c), code, input);
  return redirectTo(c, teamPath(c.get("team").id, "vouchers", `/${encodeURIComponent(code)}`), "rolled_back");
});
