import { createRouter } from "../openapi";
import create from "./create";

export const customerRoutes = createRouter().route("/", create);
