import { createRouter } from "../openapi";
import approve from "./approve";
import get from "./get";
import list from "./list";
import policy from "./policy";
import reject from "./reject";

export const agentApprovalRoutes = createRouter().route("/", list).route("/", get).route("/", approve).route("/", reject);
export const approvalPolicyRoutes = policy;
