import { spawn } from "node:child_process";
import { mkdtemp, open, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { JsonValue } from "../sdk/types.js";
import { interruptedError, SHELL_STOP_GRACE_MS } from "./interrupt.js";
import { parseLoose } from "./parameters.js";

export interface ShellRun {
  /** Output lines of `$RUNNABLE_OUTPUT`, values JSON-parsed when they parse. */
  outputs: Record<string, JsonValue>;
  /** File holding the interleaved stdout and stderr; removed by `cleanup`. */
  logFile: string;
  /** Error when the command failed (non-zero exit, signal, timeout). */
  error?: Error;
  cleanup(): Promise<void>;
}

/** Environment value of a parameter: strings as they are, everything else JSON-encoded. */
export function envValue(value: JsonValue): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * Runs `bash -c command` in its own process group, with parameters only in the environment (never
 * interpolated into the command text), stdout+stderr into one log file, and the whole group killed
 * when `timeoutMs` passes (the error is then named `runnable.Timeout`).
 */
export async function runShell(options: {
  step: string; command: string; cwd: string; parameters: Record<string, JsonValue>; timeoutMs?: number; timeoutName: string;
  /** Exposed as RUNNABLE_RUN_ID / RUNNABLE_ATTEMPT so a command can tell runs and retries apart statelessly. */
  runId: string; attempt: number;
  /** Interrupts the command: its process group gets SIGTERM, then SIGKILL after a grace; the error is `runnable.Interrupted`. */
  signal?: AbortSignal;
}): Promise<ShellRun> {
  const dir = await mkdtemp(path.join(tmpdir(), "runnable-shell-"));
  const outputFile = path.join(dir, "output");
  const logFile = path.join(dir, "execution.log");
  const log = await open(logFile, "w");
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [k, v] of Object.entries(options.parameters)) env[k] = envValue(v);
  // Set after the parameters: the RUNNABLE_ prefix is reserved, a parameter cannot shadow these.
  env.RUNNABLE_OUTPUT = outputFile;
  env.RUNNABLE_RUN_ID = options.runId;
  env.RUNNABLE_STEP = options.step;
  env.RUNNABLE_ATTEMPT = String(options.attempt);
  const cleanup = () => rm(dir, { recursive: true, force: true });
  let error: Error | undefined;
  try {
    const child = spawn("bash", ["-c", options.command], { cwd: options.cwd, env, detached: true, stdio: ["ignore", log.fd, log.fd] });
    let timedOut = false;
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch { /* already gone */ }
    }, Math.max(0, options.timeoutMs));
    const stop = interruptGroup(child.pid, options.signal);
    const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.once("error", reject);
      child.once("exit", (c, s) => resolve({ code: c, signal: s }));
    });
    if (timer) clearTimeout(timer);
    const interrupted = stop();
    if (interrupted) {
      error = interrupted;
      error.message = `${error.message}: the command's process group was stopped`;
    } else if (timedOut) {
      error = new Error(`step "${options.step}" timed out after ${((options.timeoutMs ?? 0) / 1000).toFixed(1)}s: its command's process group was killed`);
      error.name = options.timeoutName;
    } else if (code !== 0) {
      const tail = (await readFile(logFile, "utf8")).split("\n").filter(Boolean).slice(-10).join("\n");
      error = new Error(`command ${signal ? `was killed by ${signal}` : `exited with code ${code}`}${tail ? `; last output:\n${tail}` : ""}`);
      error.name = "ShellError";
    }
  } finally {
    await log.close();
  }
  let outputs: Record<string, JsonValue> = {};
  if (!error) {
    try {
      outputs = parseOutput(await readFile(outputFile, "utf8").catch(() => ""));
    } catch (e) {
      error = e as Error;
    }
  }
  return { outputs, logFile, ...(error ? { error } : {}), cleanup };
}

/**
 * Stops a command's process group when `signal` fires (SIGTERM, SIGKILL after a grace). The returned
 * function ends the watch and tells whether it fired (the error to report).
 */
function interruptGroup(pid: number | undefined, signal: AbortSignal | undefined): () => Error | undefined {
  if (!signal || pid === undefined) return () => undefined;
  let fired: Error | undefined;
  let hard: NodeJS.Timeout | undefined;
  const kill = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch { /* already gone */ }
  };
  const onAbort = () => {
    fired = interruptedError(signal.reason);
    kill("SIGTERM");
    hard = setTimeout(() => kill("SIGKILL"), SHELL_STOP_GRACE_MS);
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener("abort", onAbort, { once: true });
  return () => {
    signal.removeEventListener("abort", onAbort);
    if (hard) {
      clearTimeout(hard);
      kill("SIGKILL"); // whatever of the group outlived the command
    }
    return fired;
  };
}

/** Parses `name=value` lines (blank lines ignored, later lines win). */
export function parseOutput(text: string): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    const eq = line.indexOf("=");
    const name = eq > 0 ? line.slice(0, eq).trim() : "";
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new Error(`line ${i + 1} of $RUNNABLE_OUTPUT is not name=value: ${JSON.stringify(line.slice(0, 80))}`);
    }
    out[name] = parseLoose(line.slice(eq + 1));
  });
  return out;
}
