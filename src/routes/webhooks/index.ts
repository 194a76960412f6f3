import { createRouter } from "../openapi";
import create from "./create";
import deleteRoute from "./delete";
import deliveries from "./deliveries";
import get from "./get";
import list from "./list";
import patch from "./patch";
import retry from "./retry";
import rotateSecret from "./rotate-secret";
import test from "./test";

export const webhookRoutes = createRouter()
  .route("/", create)
  .route("/", list)
  .route("/", get)
  .route("/", patch)
  .route("/", deleteRoute)
  .route("/", rotateSecret)
  .route("/", test)
  .route("/", deliveries)
  .route("/", retry);
