import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/**
 * Where the package's own files are. The same modules run from the TypeScript sources (the repo's
 * tests, `npm run runnable`) and compiled into `dist/` (the installed package, `npx runnable`); files
 * that other processes or bundlers are pointed at (handler entries, worker processes) must be named
 * in the form the running code is in.
 */

/** True when this code runs from the .ts sources (through tsx or vitest), false from dist/. */
export const FROM_SOURCE = import.meta.url.endsWith(".ts");

/** The package root (holding package.json, bin/, src/, handlers/, cdk/ and, once built, dist/). */
export const PACKAGE_ROOT = resolve(fileURLToPath(import.meta.url), FROM_SOURCE ? "../../.." : "../../../..");

/**
 * The file of one of the package's own modules, named from the package root without extension:
 * `ownModule("handlers/step")` is `<root>/handlers/step.ts` from sources, `<root>/dist/handlers/step.js` compiled.
 */
export function ownModule(path: string): string {
  return FROM_SOURCE ? join(PACKAGE_ROOT, `${path}.ts`) : join(PACKAGE_ROOT, "dist", `${path}.js`);
}

/**
 * The package.json export condition that maps `runnable-ts` (and `runnable-ts/cdk`) to the .ts
 * sources instead of dist/: the repo's tests, benches and CDK app run with it, so pipeline files
 * that import "runnable-ts" (the examples) get the code under test, never a stale build.
 */
export const SOURCE_CONDITION = "runnable-ts-source";

/**
 * Node options for a child process running one of the package's own modules (`ownModule`): from
 * sources, tsx (to load .ts) and the source condition; compiled, none.
 */
export function ownModuleExecArgv(): string[] {
  if (!FROM_SOURCE) return [];
  return ["--import", pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href, `--conditions=${SOURCE_CONDITION}`];
}
