import { createRouter } from "../openapi";
import addMember from "./add-member";
import create from "./create";
import listMembers from "./list-members";
import removeMember from "./remove-member";

export const teamRoutes = createRouter().route("/", create).route("/", listMembers).route("/", addMember).route("/", removeMember);
