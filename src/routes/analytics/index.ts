import { createRouter } from "../openapi";
import campaign from "./campaign";
import fraud from "./fraud";
import overview from "./overview";

export const analyticsRoutes = createRouter().route("/", overview).route("/", campaign).route("/", fraud);
