import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          // A cheaper KDF keeps sign-ups fast in tests; the stored hash records its own cost either way.
          bindings: { TEST_MIGRATIONS: migrations, PASSWORD_KDF_ITERATIONS: "1000", JWT_SECRET: "test-only-secret-0123456789abcdef0123456789",
            KEY_CHECK_SECRET: "test-only-key-check-0123456789abcdef0123456789",
            ENCRYPTION_KEY: "test-only-encryption-0123456789abcdef0123456789",
          },
        },
      }),
    ],
    test: {
      include: ["test/**/*.test.ts"],
      setupFiles: ["./test/helpers/setup.ts"],
      // A real HTTP receiver on 127.0.0.1 for the webhook tests (runs in Node; its address is provided to tests).
      globalSetup: ["./test/helpers/webhook-receiver.ts"],
      testTimeout: 30_000,
      hookTimeout: 30_000,
    },
  };
});
