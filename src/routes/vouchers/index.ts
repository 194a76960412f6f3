import { createRouter } from "../openapi";
import bulk from "./bulk";
import create from "./create";
import get from "./get";
import list from "./list";
import patch from "./patch";
import redeem from "./redeem";
import getReservation from "./reservation-get";
import releaseReservation from "./reservation-release";
import reserve from "./reserve";
import rollback from "./rollback";
import validate from "./validate";

export const voucherRoutes = createRouter()
  .route("/", create)
  .route("/", bulk)
  .route("/", list)
  .route("/", get)
  .route("/", patch)
  .route("/", validate)
  .route("/", reserve)
  .route("/", getReservation)
  .route("/", releaseReservation)
  .route("/", redeem)
  .route("/", rollback);
