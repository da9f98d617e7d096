import { fork } from "node:child_process";
import { mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { RUNTIME_SDK_CLIENTS } from "../../cdk/bundling.js";

// Running a bundled Lambda handler as Lambda would: one invocation per process (a cold container)
// whose only modules are the bundle and the AWS SDK clients the Node.js runtime provides.
const ROOT = join(import.meta.dirname, "..", "..");
const RUNNER = join(import.meta.dirname, "..", "cdk", "bundle-runner.mjs");

/** Gives `dir` a node_modules with only the runtime's SDK clients (the bundle leaves them external). */
export function provideRuntimeSdk(dir: string): void {
  mkdirSync(join(dir, "node_modules", "@aws-sdk"), { recursive: true });
  for (const client of RUNTIME_SDK_CLIENTS) symlinkSync(join(ROOT, "node_modules", client), join(dir, "node_modules", client));
}

export type BundleAnswer = { ok: boolean; result?: unknown; name?: string; message?: string };

/** Imports `bundle` in a fresh process with `env` (PATH and HOME kept), calls its handler with `event`. */
export function invokeBundle(bundle: string, env: Record<string, string>, event: unknown, timeoutMs = 60_000): Promise<BundleAnswer> {
  return new Promise((resolve, reject) => {
    const child = fork(RUNNER, [], { env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env }, stdio: ["ignore", "inherit", "inherit", "ipc"] });
    child.once("message", (m: BundleAnswer) => resolve(m));
    child.once("exit", (code) => reject(new Error(`bundle process exited with ${code} before answering`)));
    child.send({ bundle, event, timeoutMs });
  });
}
