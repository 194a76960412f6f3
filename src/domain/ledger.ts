// The ledger stream: everything the checkout path must tell the rest of the system travels as entries of one
// format, from each voucher object's outbox through the ledger queue to D1 (src/queues/ledger.ts).
// A message carries one object's entries; a new kind of news (a webhook event, a rollup) is a new entry kind,
// with its own D1 write in src/queues/ledger-writes.ts. Every kind is written so that applying an entry twice,
// or two entries in either order, leaves D1 the same: queues deliver at least once and in no fixed order.
//   redemption        keyed by redemption id; "rolled_back" is final, a late "redeemed" never undoes it
//   voucher_state     the D1 listing copy as of the object's change `version`; D1 keeps the highest version
//   validation_count  the object's running totals for one hour, not increments; D1 keeps the larger
//   customer_reservation  the object holds reservations of this customer since `reserved_at`, so an erasure must
//                     reach it; keyed by (team, customer, code), D1 keeps the latest time; none made before the
//                     customer's erasure is recorded (the consumer tells the objects instead)
// A future kind that adds up (a rollup) follows validation_count: each object sends its own running total, and
// readers sum over objects. One that happens once (a webhook event) carries its own id and is inserted or ignored.
import { z } from "zod";
import type { Counters, VoucherDefinition } from "./voucher-rules";

export const LEDGER_FORMAT = 1;

const redemption = z.object({
  id: z.string().min(1),
  voucherId: z.string().min(1),
  code: z.string().min(1),
  campaignId: z.string().nullable(),
  customerId: z.string().nullable(),
  order: z.looseObject({ id: z.string().optional(), amount: z.number() }),
  discountAmount: z.number().int(),
  currency: z.string().nullable(),
  status: z.enum(["redeemed", "rolled_back"]),
  createdAt: z.number().int(),
  rolledBackAt: z.number().int().nullable(),
  rollbackReason: z.string().nullable(),
});

const entry = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("redemption"), redemption }),
  z.object({
    kind: z.literal("voucher_state"),
    voucher_id: z.string().min(1),
    version: z.number().int().positive(),
    redemptions_count: z.number().int(),
    gift_card_balance: z.number().int().nullable(),
    active: z.boolean(),
    expires_at: z.number().int().nullable(),
    metadata: z.record(z.string(), z.string()),
    updated_at: z.number().int(),
  }),
  z.object({
    kind: z.literal("validation_count"),
    voucher_id: z.string().min(1),
    hour: z.number().int(),
    validations: z.number().int().nonnegative(),
    valid: z.number().int().nonnegative(),
  }),
  z.object({
    kind: z.literal("customer_reservation"),
    code: z.string().min(1),
    campaign_id: z.string().nullable(),
    customer_id: z.string().min(1),
    /** The earliest reservation of the customer on this voucher that the entry reports. */
    reserved_at: z.number().int(),
  }),
]);

const message = z.object({
  format: z.literal(LEDGER_FORMAT),
  team_id: z.string().min(1),
  /** The Durable Object that sent it (`<team id>:<CODE>`), for tracing. */
  source: z.string(),
  /** When the oldest entry was written to the outbox: how far behind D1 is when the message lands. */
  oldest_at: z.number(),
  entries: z.array(entry).min(1),
});

export type LedgerEntry = z.infer<typeof entry>;
export type LedgerRedemption = z.infer<typeof redemption>;
export type LedgerMessage = z.infer<typeof message>;
export type VoucherStateEntry = Extract<LedgerEntry, { kind: "voucher_state" }>;
export type ValidationCountEntry = Extract<LedgerEntry, { kind: "validation_count" }>;
export type CustomerReservationEntry = Extract<LedgerEntry, { kind: "customer_reservation" }>;

/** The message, or why it can never be written (a different producer, a corrupted body). */
export function parseLedgerMessage(body: unknown): { ok: true; message: LedgerMessage } | { ok: false; error: string } {
  const parsed = message.safeParse(body);
  if (parsed.success) return { ok: true, message: parsed.data };
  return { ok: false, error: parsed.error.issues.slice(0, 3).map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") };
}

export const redemptionEntry = (r: LedgerRedemption): LedgerEntry => ({ kind: "redemption", redemption: r });

/** One per voucher and customer waiting in an outbox (its slot): while one waits, it already says the most a later one would. */
export const customerReservationSlot = (customerId: string) => `customer:${customerId}`;

export const customerReservationEntry = (code: string, campaignId: string | null, customerId: string, reservedAt: number): CustomerReservationEntry => ({
  kind: "customer_reservation",
  code,
  campaign_id: campaignId,
  customer_id: customerId,
  reserved_at: reservedAt,
});

/**
 * Past this size an entry could not travel in one message (at most 128 KB). Only a redemption can grow so large
 * (an order of 500 lines with long multi-byte SKUs): it then travels without its order's lines, which the voucher
 * object keeps, and says how many it left out (`order.items_omitted`).
 */
export const ENTRY_MAX_BYTES = 120_000;

export function fitEntry(e: LedgerEntry): LedgerEntry {
  if (e.kind !== "redemption") return e;
  const { items, ...order } = e.redemption.order;
  return { kind: "redemption", redemption: { ...e.redemption, order: { ...order, items_omitted: Array.isArray(items) ? items.length : 0 } } };
}

export const voucherStateEntry = ({ definition: d, counters }: { definition: VoucherDefinition; counters: Counters }, version: number): LedgerEntry => ({
  kind: "voucher_state",
  voucher_id: d.id,
  version,
  redemptions_count: counters.redemptionsCount,
  gift_card_balance: counters.giftCardBalance,
  active: d.active,
  expires_at: d.expiresAt,
  metadata: d.metadata,
  updated_at: d.updatedAt,
});

/**
 * Size limits of one send (the platform's: a message at most 128 KB, a batch at most 100 messages and 256 KB),
 * with room left for the envelope and the queue's own metadata.
 */
export const MESSAGE_MAX_BYTES = 100_000;
export const SEND_MAX_BYTES = 230_000;
export const SEND_MAX_MESSAGES = 100;

/** Entry JSON sizes → how many of them, in order, go into each message of one send. */
export function packEntries(sizes: number[]): number[] {
  const messages: number[] = [];
  let count = 0;
  let bytes = 0;
  let total = 0;
  for (const size of sizes) {
    if (total + size > SEND_MAX_BYTES && total > 0) break;
    if (count > 0 && bytes + size > MESSAGE_MAX_BYTES) {
      if (messages.length + 1 >= SEND_MAX_MESSAGES) break;
      messages.push(count);
      count = 0;
      bytes = 0;
    }
    count += 1;
    bytes += size;
    total += size;
  }
  if (count > 0) messages.push(count);
  return messages;
}
