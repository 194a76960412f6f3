import type { AppEnv } from "../env";
import type { Membership, Session } from "./session";

/** The dashboard's context: the API's, plus the signed-in session, its teams and the CSRF token its forms carry. */
export type DashboardEnv = {
  Bindings: AppEnv["Bindings"];
  Variables: AppEnv["Variables"] & { session: Session; teams: Membership[]; team: Membership; csrf: string };
};
