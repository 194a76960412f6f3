import { createRouter } from "../openapi";
import create from "./create";
import get from "./get";
import deleteRoute from "./delete";
import exportRoute from "./export";
import redemptions from "./redemptions";

export const customerRoutes = createRouter().route("/", create).route("/", get).route("/", redemptions).route("/", exportRoute).route("/", deleteRoute);
