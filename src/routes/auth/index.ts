import { createRouter } from "../openapi";
import login from "./login";
import logout from "./logout";
import me from "./me";
import refresh from "./refresh";
import signup from "./signup";

/** Reachable without a credential. */
export const publicAuthRoutes = createRouter().route("/", signup).route("/", login).route("/", refresh);
/** Need an access token. */
export const authRoutes = createRouter().route("/", logout).route("/", me);
