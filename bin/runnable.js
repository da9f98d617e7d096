#!/usr/bin/env node
// The `runnable` command. Installed, it runs the compiled CLI in dist/ (built by `npm pack`).
// In a checkout of the runnable-ts repository (tsconfig.build.json is never shipped) it runs the
// TypeScript sources instead, so a contributor's `npx runnable` always runs what they edited.
import { existsSync } from "node:fs";

if (existsSync(new URL("../tsconfig.build.json", import.meta.url))) {
  const { runSources } = await import("./run-sources.js");
  process.exitCode = await runSources(process.argv.slice(2));
} else {
  await import("../dist/src/cli/bin.js");
}
