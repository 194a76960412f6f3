import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Two projects, both run by `npm test`: the suite inside workerd (Cloudflare's plugin), and the browser tests
// (test/e2e/), which run in Node, start the built worker in a local workerd and drive Debian's chromium.
export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  return {
    test: {
      projects: [
        {
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
            name: "workers",
            include: ["test/**/*.test.ts"],
            exclude: ["test/e2e/**", "**/node_modules/**"],
            setupFiles: ["./test/helpers/setup.ts"],
            // A real HTTP receiver on 127.0.0.1 for the webhook tests (runs in Node; its address is provided to tests).
            globalSetup: ["./test/helpers/webhook-receiver.ts"],
            // Room for a test's waits on queues and alarms (each bounded by test/helpers/poll.ts) on a loaded 2-core
            // CI machine; heavier tests set their own.
            testTimeout: 60_000,
            hookTimeout: 60_000,
          },
        },
        {
          test: {
            name: "e2e",
            include: ["test/e2e/**/*.test.ts"],
            environment: "node",
            // Building the worker and starting workerd and chromium take a while on a small machine.
            testTimeout: 120_000,
            hookTimeout: 180_000,
          },
        },
      ],
    },
  };
});
