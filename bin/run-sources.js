// Runs src/cli/bin.ts in a child Node process with tsx and the "runnable-ts-source" export condition
// (so the examples' `import "runnable-ts"` is the sources too): what `npm run runnable` runs.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { constants } from "node:os";
import { fileURLToPath, pathToFileURL } from "node:url";

export function runSources(args) {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
  const entry = fileURLToPath(new URL("../src/cli/bin.ts", import.meta.url));
  const child = spawn(process.execPath, ["--import", tsx, "--conditions=runnable-ts-source", entry, ...args], { stdio: "inherit" });
  // A terminal's Ctrl-C reaches the child too (same process group); wait for it to finish the run.
  const ignore = () => {};
  process.on("SIGINT", ignore);
  process.on("SIGTERM", (signal) => child.kill(signal));
  return new Promise((resolve) => {
    child.on("exit", (code, signal) => resolve(code ?? 128 + (constants.signals[signal] ?? 0)));
  });
}
