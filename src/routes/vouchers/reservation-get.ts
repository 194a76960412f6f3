import { getReservation } from "../../services/reservations";
import { serviceContext } from "../context";
import { BEARER, createRouter, defineRoute, errorResponses, jsonContent } from "../openapi";
import { Reservation, ReservationParams } from "./schema";

const route = defineRoute({
  operationId: "getReservation",
  method: "get",
  path: "/{code}/reservations/{id}",
  tags: ["Vouchers"],
  summary: "Get a reservation",
  description: "Needs `redeem:vouchers`. Read from the voucher's own object, so its status is exact: one past `expires_at` is `expired`.",
  security: BEARER,
  request: { params: ReservationParams },
  responses: { 200: jsonContent(Reservation, "The reservation"), ...errorResponses(["voucher_not_found", "not_found"]) },
});

export default createRouter().openapi(route, async (c) => {
  const { code, id } = c.req.valid("param");
  return c.json(await getReservation(serviceContext(c), code, id), 200);
});
