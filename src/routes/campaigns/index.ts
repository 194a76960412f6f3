import { createRouter } from "../openapi";
import create from "./create";
import get from "./get";
import list from "./list";
import patch from "./patch";
import pause from "./pause";

export const campaignRoutes = createRouter().route("/", create).route("/", list).route("/", get).route("/", patch).route("/", pause);
