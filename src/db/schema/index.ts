// The D1 schema (drizzle), one file per responsibility; drizzle-kit generates migrations/ from it.
export * from "./accounts";
export * from "./checkout";
export * from "./agents";
export * from "./webhooks";
export * from "./insights";
