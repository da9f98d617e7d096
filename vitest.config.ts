import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Tests run the TypeScript sources: `import "runnable-ts"` (examples, fixtures) resolves to src/, never
// to a build in dist/ — through the package's "runnable-ts-source" export condition for Node (files the
// pipeline loader imports, and every process a test starts: CLI, emulator workers and jobs inherit
// NODE_OPTIONS), and through aliases for what vite resolves itself (test files and their imports).
// `RUNNABLE_TEST_AGAINST=dist` runs against the build instead (see vitest.package.config.ts).
const SOURCE_CONDITION = "runnable-ts-source";
const againstDist = process.env.RUNNABLE_TEST_AGAINST === "dist";
if (!againstDist) process.env.NODE_OPTIONS = [process.env.NODE_OPTIONS, `--conditions=${SOURCE_CONDITION}`].filter(Boolean).join(" ");
const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));
// What the source condition selects, for modules vite itself resolves (test files and what they import).
const alias = againstDist ? [] : [
  { find: /^runnable-ts$/, replacement: source("./src/index.ts") },
  { find: /^runnable-ts\/cdk$/, replacement: source("./cdk/index.ts") },
];

export default defineConfig({
  resolve: { alias },
  test: {
    include: ["test/**/*.test.ts"],
    // The package tests need `npm pack`: `npm run test:package` (vitest.package.config.ts).
    exclude: ["test/package/**", "**/node_modules/**"],
    globalSetup: ["test/setup/tmpdir.ts"],
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
