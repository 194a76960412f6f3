// GET /v1/customers/{id}/export (API.md §7, GDPR access): everything held about one customer — the profile and
// every redemption, rolled-back ones included — as JSON or CSV, streamed page by page.
import type { ServiceContext } from "../env";
import { csvStream } from "../lib/csv";
import { iso } from "../lib/time";
import { customerRedemptionsAfter, findCustomer, renderCustomer, renderRedemptionRow } from "./customers";

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
];

type Row = Awaited<ReturnType<typeof customerRedemptionsAfter>>[number];

export async function exportCustomer(ctx: ServiceContext, id: string, format: "json" | "csv"): Promise<ReadableStream<Uint8Array>> {
  const { teamId, row } = await findCustomer(ctx, id);
  const profile = renderCustomer(row);
  const pageAfter = (last: Row | null) => customerRedemptionsAfter(ctx, teamId, id, last?.id ?? null, PAGE);
  if (format === "csv") {
    // The profile is the first record; each redemption follows as one record.
    let profileSent = false;
    type ExportRecord = { kind: "customer" } | { kind: "redemption"; row: Row };
    const stream = csvStream<ExportRecord>(
      CSV_HEADER,
      async (after) => {
        if (!profileSent) {
          profileSent = true;
          return [{ kind: "customer" }];
        }
        const rows = await pageAfter(after?.kind === "redemption" ? after.row : null);
        return rows.map((r) => ({ kind: "redemption" as const, row: r }));
      },
      (record) => {
        if (record.kind === "customer") return ["customer", profile.id, profile.created_at, null, null, null, null, null, null, null, null, null, null, profile.metadata];
        const r = record.row;
        const order = r.order as { amount?: number };
        return ["redemption", r.id, iso(r.createdAt), r.status, r.code, r.voucherId, r.campaignId, r.orderId, order.amount ?? null, r.discountAmount, r.currency, iso(r.rolledBackAt), r.rollbackReason, null];
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
        controller.enqueue(encoder.encode(`{"object":"customer_export","exported_at":${JSON.stringify(iso(Date.now()))},"customer":${JSON.stringify(profile)},"redemptions":[`));
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
