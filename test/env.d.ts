// Types for the test runtime: `env` from cloudflare:test and `exports` from cloudflare:workers.
type VauchflowEnv = import("../src/env").Env;
type VauchflowMigration = import("cloudflare:test").D1Migration;

declare namespace Cloudflare {
  interface Env extends VauchflowEnv {
    TEST_MIGRATIONS: VauchflowMigration[];
  }
  interface GlobalProps {
    mainModule: typeof import("../src/index");
    durableNamespaces: "CredentialObject" | "IdempotencyObject" | "VoucherObject" | "CampaignObject";
  }
}
