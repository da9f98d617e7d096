import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { RunLog, RunResult } from "../../src/sdk/runlog.js";

/** The repository root, and the `runnable` command of this checkout (it runs the sources, see bin/runnable.js). */
export const REPO = fileURLToPath(new URL("../..", import.meta.url));
export const BIN = join(REPO, "bin", "runnable.js");
/**
 * Node arguments that start the `runnable` CLI: its entry in the sources through tsx (what `npm run
 * runnable` runs; the source condition comes with NODE_OPTIONS, see vitest.config.ts), or with
 * `RUNNABLE_TEST_AGAINST=dist` the build an installed package's `bin/runnable.js` runs.
 */
export const BIN_ARGS = process.env.RUNNABLE_TEST_AGAINST === "dist"
  ? [join(REPO, "dist", "src", "cli", "bin.js")]
  : ["--import", pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href, join(REPO, "src", "cli", "bin.ts")];
/** Import specifier of the package for pipeline files written outside the repository (temp dirs). */
export const SDK = pathToFileURL(join(REPO, "src", "index.ts")).href;
/** How hints (`… logs <id>`, `… retry <id>`) name the CLI `runCli` starts: started by node outside npm and PATH, `node <bin>`. */
export const CLI_HINT = `node ${BIN}`;

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the `runnable` CLI (from the sources) with `args` in `cwd`, as a user would (stdout/stderr are pipes, not a TTY). */
export function runCli(args: string[], options: { cwd: string; env?: Record<string, string> }): Promise<CliRun> {
  return runCommand(process.execPath, [...BIN_ARGS, ...args], options);
}

/**
 * Runs a command (e.g. `npx runnable …`) with the environment a user's shell would give it: the
 * tests' own RUNNABLE_PRM_* and npm's variables (set when the suite runs under npm) left out.
 */
export function runCommand(command: string, args: string[], options: { cwd: string; env?: Record<string, string> }): Promise<CliRun> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("RUNNABLE_PRM_") && !k.startsWith("npm_")) env[k] = v;
  Object.assign(env, { NO_COLOR: "1" }, options.env);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Parses `--json` output; fails the test with the CLI's stderr when stdout is not one JSON document. */
export function parseResult(run: CliRun): RunResult {
  try {
    return JSON.parse(run.stdout) as RunResult;
  } catch {
    throw new Error(`stdout is not a RunResult (exit ${run.code}).\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
  }
}

/** A fresh working directory; removed by the returned cleanup. */
export function tempDir(prefix = "runnable-cli-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Writes a pipeline file into `dir` (its imports of "runnable-ts" pointed at this checkout), with a
 * package.json marking the folder as ES modules (test/load covers CommonJS and bare folders).
 */
export function writePipeline(dir: string, name: string, source: string): string {
  const file = join(dir, name);
  if (!existsSync(join(dir, "package.json"))) writeFileSync(join(dir, "package.json"), '{ "type": "module" }\n');
  writeFileSync(file, source.replaceAll('from "runnable-ts"', `from ${JSON.stringify(SDK)}`));
  return file;
}

/** Run ids that exist under `<cwd>/<root>/runs`. */
export function runsIn(cwd: string, root = ".runnable"): string[] {
  const dir = join(cwd, root, "runs");
  return existsSync(dir) ? readdirSync(dir) : [];
}

export function md5(file: string): string {
  return createHash("md5").update(readFileSync(file)).digest("hex");
}

/** Step path → status, for whole-log assertions. */
export function statuses(log: RunLog): Record<string, string> {
  return Object.fromEntries(Object.entries(log.steps).map(([path, s]) => [path, s.status]));
}

/**
 * Checks every catalog entry of a run log against the bytes in the catalog: each stored file's md5
 * and size equal what the log recorded. Returns name → md5 of every `put`.
 */
export function verifyCatalog(cwd: string, log: RunLog, root = ".runnable"): Record<string, string> {
  const puts: Record<string, string> = {};
  for (const [path, step] of Object.entries(log.steps)) {
    for (const entry of step.catalog) {
      if (entry.stored === false) continue;
      const file = join(cwd, root, "catalog", log.runId, entry.name);
      if (!existsSync(file)) throw new Error(`step ${path}: catalog file ${entry.name} is missing at ${file}`);
      const actual = md5(file);
      if (entry.stage === "put" && actual !== entry.md5) throw new Error(`step ${path}: ${entry.name} md5 ${actual} ≠ recorded ${entry.md5}`);
      if (entry.stage === "put") puts[entry.name] = entry.md5;
    }
  }
  return puts;
}
