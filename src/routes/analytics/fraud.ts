import { z } from "@hono/zod-openapi";
import { getFraudSettings, listFraudAlerts, putFraudSettings } from "../../services/fraud";
import { serviceContext } from "../context";
import { BEARER, createRouter, defineRoute, errorResponses, jsonBody, jsonContent } from "../openapi";
import { FraudAlert, FraudSettings, FraudSettingsBody, WindowQuery } from "./schema";

const DETECTORS = [
  "Detectors (defaults; a team changes them with PUT /v1/analytics/fraud/settings):",
  "- `customer_velocity`: one customer redeeming 5 times within 600 s across the team's vouchers.",
  "- `code_enumeration`: one credential getting 20 unknown or invalid codes within 60 s on validate or redeem.",
  "- `redemption_failure_burst`: one credential getting 25 refused redemptions (not eligible, limit reached, duplicate order) within 60 s.",
  "One alert per subject and window; a new alert also emits a `fraud.alert` webhook event. Its count and `last_seen` follow: for `customer_velocity` with every chunk of redemptions the ledger writes, for the per-key detectors each time the count passes another multiple of the threshold (the count may trail by less than one threshold).",
].join("\n");

const list = defineRoute({
  operationId: "listFraudAlerts",
  method: "get",
  path: "/fraud",
  tags: ["Analytics"],
  summary: "Fraud alerts",
  description: `Needs \`read:analytics\`. Alerts last seen in \`[from, to)\`, newest first (at most 500).\n\n${DETECTORS}`,
  security: BEARER,
  request: { query: WindowQuery },
  responses: { 200: jsonContent(z.object({ data: z.array(FraudAlert) }), "The alerts"), ...errorResponses([]) },
});

const getSettings = defineRoute({
  operationId: "getFraudSettings",
  method: "get",
  path: "/fraud/settings",
  tags: ["Analytics"],
  summary: "The team's fraud thresholds",
  description: `Needs \`read:analytics\`.\n\n${DETECTORS}`,
  security: BEARER,
  responses: { 200: jsonContent(FraudSettings, "The thresholds, defaults filled in"), ...errorResponses([]) },
});

const putSettings = defineRoute({
  operationId: "putFraudSettings",
  method: "put",
  path: "/fraud/settings",
  tags: ["Analytics"],
  summary: "Replace the team's fraud thresholds",
  description: "Owners and admins, or a secret key holding `admin`. Detectors left out, and fields left out, take their default.",
  security: BEARER,
  request: jsonBody(FraudSettingsBody),
  responses: { 200: jsonContent(FraudSettings, "The new thresholds"), ...errorResponses([]) },
});

export default createRouter()
  .openapi(list, async (c) => c.json(await listFraudAlerts(serviceContext(c), c.req.valid("query")), 200))
  .openapi(getSettings, async (c) => c.json(await getFraudSettings(serviceContext(c)), 200))
  .openapi(putSettings, async (c) => c.json(await putFraudSettings(serviceContext(c), c.req.valid("json")), 200));
