// Local development secrets: .dev.vars (never committed) gets a random value for every secret the worker needs
// that it does not hold yet, so `npm start` works on a fresh clone and keeps working after new secrets appear.
import { randomBytes } from "node:crypto";
import { appendFileSync, existsSync, readFileSync } from "node:fs";

const SECRETS = ["JWT_SECRET", "KEY_CHECK_SECRET", "ENCRYPTION_KEY"];
const file = ".dev.vars";
const present = existsSync(file) ? readFileSync(file, "utf8") : "";
const missing = SECRETS.filter((name) => !new RegExp(`^${name}=`, "m").test(present));
const lead = present && !present.endsWith("\n") ? "\n" : "";
if (missing.length > 0) appendFileSync(file, lead + missing.map((name) => `${name}=${randomBytes(32).toString("hex")}\n`).join(""));
