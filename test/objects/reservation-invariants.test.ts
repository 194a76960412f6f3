// Reservations under arbitrary concurrent mixes (seeded fast-check): batches of reserve, plain redeem, redeem by
// reservation, release and rollback land at once on one campaign voucher with a limit and a budget, and after every
// run the voucher's count, what validate says is left, the campaign's spend and every reservation's status agree
// with the answers the clients were given — nothing oversold, nothing lost, no reservation with two outcomes.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Answer, call, createKey, newTeam } from "../helpers/api";
import { campaignStats, createCampaign } from "../helpers/campaigns";
import { createVoucher, order, uniqueCode } from "../helpers/vouchers";

const LIMIT = 12;
const DISCOUNT = 300;
const BUDGET = 3000; // ten redemptions' worth: the budget binds before the limit does
const SEED = 1414;

type Op =
  | { kind: "reserve"; customer: number }
  | { kind: "redeem"; customer: number }
  | { kind: "redeem_reservation"; pick: number }
  | { kind: "release"; pick: number }
  | { kind: "rollback"; pick: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("reserve" as const), customer: fc.nat(3) }),
  fc.record({ kind: fc.constant("redeem" as const), customer: fc.nat(3) }),
  fc.record({ kind: fc.constant("redeem_reservation" as const), pick: fc.nat(40) }),
  fc.record({ kind: fc.constant("release" as const), pick: fc.nat(40) }),
  fc.record({ kind: fc.constant("rollback" as const), pick: fc.nat(40) }),
);

describe("reservation invariants under concurrent mixes", () => {
  it("count, remaining, budget and every reservation's status match the answers given", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(op, { minLength: 5, maxLength: 25 }), { minLength: 2, maxLength: 4 }), async (batches) => {
        const { owner, admin } = await newTeam();
        const token = (await createKey(owner.accessToken, { name: "checkout", rate_limit_per_minute: 10_000 })).key;
        const campaign = await createCampaign(admin.key, { discount: { type: "amount", amount_off: DISCOUNT }, currency: "EUR", budget_cap: { amount: BUDGET } });
        const code = (await createVoucher(admin.key, { campaign_id: campaign.id, code: uniqueCode("INV"), redemption_limit: LIMIT, discount: undefined })).code as string;

        const reservations: string[] = [];
        const redemptions: string[] = [];
        const redeemedBy = new Map<string, number>(); // reservation → 201s answered for it
        const releasedOk = new Map<string, number>();
        let rolledBack = 0;
        let redeemedCount = 0;

        for (const batch of batches) {
          const run = async (o: Op): Promise<void> => {
            const body = (customer: number) => ({ customer_id: `cus-${customer}`, order: order(5000) });
            let res: Answer;
            switch (o.kind) {
              case "reserve":
                res = await call("POST", `/v1/vouchers/${code}/reserve`, { token, body: body(o.customer) });
                if (res.status === 201) reservations.push(res.body.id);
                break;
              case "redeem":
                res = await call("POST", `/v1/vouchers/${code}/redeem`, { token, body: body(o.customer) });
                if (res.status === 201) (redemptions.push(res.body.id), (redeemedCount += 1));
                break;
              case "redeem_reservation": {
                const id = reservations[o.pick % Math.max(1, reservations.length)];
                if (!id) return;
                res = await call("POST", `/v1/vouchers/${code}/redeem`, { token, body: { reservation_id: id } });
                if (res.status === 201) (redemptions.push(res.body.id), (redeemedCount += 1), redeemedBy.set(id, (redeemedBy.get(id) ?? 0) + 1));
                break;
              }
              case "release": {
                const id = reservations[o.pick % Math.max(1, reservations.length)];
                if (!id) return;
                res = await call("DELETE", `/v1/vouchers/${code}/reservations/${id}`, { token });
                if (res.status === 204) releasedOk.set(id, (releasedOk.get(id) ?? 0) + 1);
                break;
              }
              case "rollback": {
                const id = redemptions[o.pick % Math.max(1, redemptions.length)];
                if (!id) return;
                res = await call("POST", `/v1/vouchers/${code}/rollback`, { token, body: { redemption_id: id } });
                if (res.status === 200) rolledBack += 1;
                break;
              }
            }
            // Every refusal is a 4xx of the contract, never a 500.
            expect(res.status, JSON.stringify(res.body)).toBeLessThan(500);
          };
          await Promise.all(batch.map(run));
        }

        const statuses = await Promise.all(reservations.map((id) => call("GET", `/v1/vouchers/${code}/reservations/${id}`, { token })));
        let held = 0;
        statuses.forEach((s, i) => {
          const id = reservations[i]!;
          const redeemed = redeemedBy.get(id) ?? 0;
          const released = releasedOk.get(id) ?? 0;
          // One outcome per reservation, and the status says which.
          expect(redeemed + released).toBeLessThanOrEqual(1);
          expect(s.body.status).toBe(redeemed === 1 ? "redeemed" : released === 1 ? "released" : "held");
          if (s.body.status === "held") held += 1;
        });
        const live = redeemedCount - rolledBack;
        const voucher = await call("GET", `/v1/vouchers/${code}`, { token });
        expect(voucher.body.redemptions_count).toBe(live);
        const validated = await call("POST", `/v1/vouchers/${code}/validate`, { token, body: { order: order(5000) } });
        // A valid answer shows what is left; an exhausted budget answers valid: false without counts.
        if (validated.body.valid) expect(validated.body.remaining_redemptions).toBe(LIMIT - live - held);
        else expect(validated.body.reason).toBe("budget_exhausted");
        expect(live + held).toBeLessThanOrEqual(LIMIT);
        const stats = await campaignStats(admin.key, campaign.id);
        expect(stats.discount_total).toBe((live + held) * DISCOUNT);
        expect(stats.discount_total).toBeLessThanOrEqual(BUDGET);
        expect(stats.budget_remaining).toBe(BUDGET - (live + held) * DISCOUNT);
      }),
      { seed: SEED, numRuns: 6, endOnFailure: true },
    );
  });
});
