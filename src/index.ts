import { buildApp } from "./app";
import type { Env } from "./env";

export { CredentialObject } from "./objects/credential";

const app = buildApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
