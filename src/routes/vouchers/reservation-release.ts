import { releaseReservation } from "../../services/reservations";
import { serviceContext } from "../context";
import { BEARER, createRouter, defineRoute, errorResponses } from "../openapi";
import { ReservationParams } from "./schema";

const route = defineRoute({
  operationId: "releaseReservation",
  method: "delete",
  path: "/{code}/reservations/{id}",
  tags: ["Vouchers"],
  summary: "Release a reservation",
  description:
    "Needs `redeem:vouchers`. Gives back at once everything the reservation held (the campaign's budget too). One no longer held (redeemed, released or expired) → 409 `reservation_not_held`, whose `reservation_status` says which.",
  security: BEARER,
  agentOperation: "release_reservation",
  request: { params: ReservationParams },
  responses: { 204: { description: "Released" }, ...errorResponses(["voucher_not_found", "not_found", "reservation_not_held"]) },
});

export default createRouter().openapi(route, async (c) => {
  const { code, id } = c.req.valid("param");
  await releaseReservation(serviceContext(c), code, id);
  return c.body(null, 204);
});
