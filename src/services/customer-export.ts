// GET /v1/customers/{id}/export (API.md §7, GDPR access): everything held about one customer — the profile, every
// redemption (rolled-back ones included), the reservations the vouchers' objects keep, and the fraud alerts that
// name the customer — as JSON or CSV, the redemptions streamed page by page. An id never registered that made
// reservations (a reservation registers no one) is held about all the same: its export has no profile.
import type { ServiceContext } from "../env";
import { ApiError } from "../errors";
import { csvStream } from "../lib/csv";
import { iso } from "../lib/time";
import type { ReservationRecord } from "../objects/voucher";
import { requireScope, requireTeam } from "./access";
import { customerRedemptionsAfter, customerRow, renderCustomer, renderRedemptionRow } from "./customers";
import { customerAlerts } from "./fraud";
import { renderReservation } from "./reservations";
import { voucherStub } from "./vouchers";

const PAGE = 500;
const CSV_HEADER = [
  "record",
  "id",
  "created_at",
  "status",
  "code",
  "voucher_id",
  "campaign_id",
  "order_id",
  "order_amount",
  "discount_amount",
  "currency",
  "rolled_back_at",
  "rollback_reason",
  "metadata",
  "expires_at",
  "redemption_id",
  "detail",
];

/** What is held besides the redemptions, read before the export starts (a few rows: not streamed). */
async function heldAbout(ctx: ServiceContext, teamId: string, id: string) {
  const [row, holders, fraudAlerts] = await Promise.all([
    customerRow(ctx, teamId, id),
    ctx.env.DB.prepare("SELECT code FROM customer_reservations WHERE team_id = ? AND customer_id = ? ORDER BY code")
      .bind(teamId, id)
      .all<{ code: string }>(),
    customerAlerts(ctx, teamId, id),
  ]);
  if (!row && holders.results.length === 0) throw new ApiError("not_found", "No customer with this id.");
  const kept = await Promise.all(holders.results.map(({ code }) => voucherStub(ctx, teamId, code).customerReservations(id)));
  const reservations = kept.flat().sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  return { profile: row ? renderCustomer(row) : null, reservations, fraudAlerts };
}

type Row = Awaited<ReturnType<typeof customerRedemptionsAfter>>[number];

type Alert = Awaited<ReturnType<typeof customerAlerts>>[number];

export async function exportCustomer(ctx: ServiceContext, id: string, format: "json" | "csv"): Promise<ReadableStream<Uint8Array>> {
  requireScope(ctx.actor, "read:customers");
  const teamId = requireTeam(ctx.actor);
  const { profile, reservations, fraudAlerts } = await heldAbout(ctx, teamId, id);
  const pageAfter = (last: Row | null) => customerRedemptionsAfter(ctx, teamId, id, last?.id ?? null, PAGE);
  if (format === "csv") {
    // The profile (if registered), its reservations and fraud alerts first; then each redemption as one record.
    let headSent = false;
    type ExportRecord =
      | { kind: "customer"; profile: NonNullable<typeof profile> }
      | { kind: "reservation"; r: ReservationRecord }
      | { kind: "fraud_alert"; alert: Alert }
      | { kind: "redemption"; row: Row };
    const stream = csvStream<ExportRecord>(
      CSV_HEADER,
      async (after) => {
        if (!headSent) {
          headSent = true;
          const head: ExportRecord[] = [
            ...(profile ? [{ kind: "customer" as const, profile }] : []),
            ...reservations.map((r) => ({ kind: "reservation" as const, r })),
            ...fraudAlerts.map((alert) => ({ kind: "fraud_alert" as const, alert })),
          ];
          // An empty page ends the stream: with nothing ahead of them, the redemptions come first.
          if (head.length > 0) return head;
        }
        const rows = await pageAfter(after?.kind === "redemption" ? after.row : null);
        return rows.map((r) => ({ kind: "redemption" as const, row: r }));
      },
      (record) => {
        switch (record.kind) {
          case "customer": {
            const p = record.profile;
            return ["customer", p.id, p.created_at, null, null, null, null, null, null, null, null, null, null, p.metadata, null, null, null];
          }
          case "reservation": {
            const r = record.r;
            return ["reservation", r.id, iso(r.createdAt), r.status, r.code, r.voucherId, r.campaignId, r.order.id ?? null, r.order.amount ?? null, r.discountAmount, r.currency, null, null, null, iso(r.expiresAt), r.redemptionId, null];
          }
          case "fraud_alert": {
            const { id: alertId, first_seen, ...detail } = record.alert;
            return ["fraud_alert", alertId, first_seen, null, null, null, null, null, null, null, null, null, null, null, null, null, detail];
          }
          case "redemption": {
            const r = record.row;
            const order = r.order as { amount?: number };
            return ["redemption", r.id, iso(r.createdAt), r.status, r.code, r.voucherId, r.campaignId, r.orderId, order.amount ?? null, r.discountAmount, r.currency, iso(r.rolledBackAt), r.rollbackReason, null, null, null, null];
          }
        }
      },
    );
    return stream;
  }
  const encoder = new TextEncoder();
  let last: Row | null = null;
  let state: "head" | "rows" | "done" = "head";
  let first = true;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (state === "head") {
        state = "rows";
        const head = {
          object: "customer_export",
          exported_at: iso(Date.now()),
          customer: profile,
          reservations: reservations.map(renderReservation),
          fraud_alerts: fraudAlerts,
        };
        controller.enqueue(encoder.encode(`${JSON.stringify(head).slice(0, -1)},"redemptions":[`));
        return;
      }
      if (state === "done") return;
      const rows = await pageAfter(last);
      if (rows.length === 0) {
        state = "done";
        controller.enqueue(encoder.encode("]}"));
        controller.close();
        return;
      }
      last = rows[rows.length - 1]!;
      const parts = rows.map((r) => JSON.stringify(renderRedemptionRow(r)));
      controller.enqueue(encoder.encode(`${first ? "" : ","}${parts.join(",")}`));
      first = false;
    },
  });
}
