import { defineConfig } from "vitest/config";

// `npm run test:package`: the packed tarball installed into fresh projects (test/package), and the
// e2e examples run by the built CLI (dist/) instead of the sources. .ci/run runs it after `npm test`.
process.env.RUNNABLE_TEST_AGAINST = "dist";

export default defineConfig({
  test: {
    include: ["test/package/**/*.test.ts", "test/e2e/examples.test.ts"],
    // pack.ts runs first (it builds dist/, which the e2e examples then run).
    globalSetup: ["test/setup/tmpdir.ts", "test/package/pack.ts"],
    pool: "forks",
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
