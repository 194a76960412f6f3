import { createRouter } from "../openapi";
import auditLog from "./audit-log";
import create from "./create";
import createAgent from "./create-agent";
import list from "./list";
import revoke from "./revoke";
import rotate from "./rotate";

export const apiKeyRoutes = createRouter().route("/", createAgent).route("/", create).route("/", list).route("/", rotate).route("/", revoke)
  .route("/", auditLog);
