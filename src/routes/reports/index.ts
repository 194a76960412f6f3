import { createRouter } from "../openapi";
import redemptions from "./redemptions";

export const reportRoutes = createRouter().route("/", redemptions);
