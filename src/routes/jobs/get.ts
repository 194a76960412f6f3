import { getJob } from "../../services/bulk";
import { serviceContext } from "../context";
import { BEARER, createRouter, defineRoute, errorResponses, jsonContent } from "../openapi";
import { Job, JobParams } from "./schema";

const route = defineRoute({
  operationId: "getJob",
  method: "get",
  path: "/{id}",
  tags: ["Jobs"],
  summary: "A bulk job's progress",
  description: "Needs `read:vouchers`. `generated_count` counts the codes made so far.",
  security: BEARER,
  request: { params: JobParams },
  responses: { 200: jsonContent(Job, "The job"), ...errorResponses(["not_found"]) },
});

export default createRouter().openapi(route, async (c) => c.json(await getJob(serviceContext(c), c.req.valid("param").id), 200));
