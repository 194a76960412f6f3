import { createRouter } from "../openapi";
import codes from "./codes";
import get from "./get";

export const jobRoutes = createRouter().route("/", get).route("/", codes);
