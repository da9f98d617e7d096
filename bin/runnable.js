#!/usr/bin/env node
// Registers tsx so the CLI and users' pipeline.ts files load as TypeScript without a build step.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/cli/main.ts");
process.exitCode = await main(process.argv);
