import { spawn } from "node:child_process";
import { mkdtemp, open, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { reservedNameMessage } from "../graph/reserved.js";
import type { JsonValue } from "../sdk/types.js";
import { MAX_OUTPUT_FILE_BYTES, formatBytes } from "./limits.js";
import { parseOutput } from "./shell-output.js";
import { interruptGroup } from "./process-group.js";

export { parseOutput } from "./shell-output.js";

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

/** Variables of the inherited environment the shell never sees: bash (`BASH_ENV`) and sh (`ENV`) source the file they name. */
const DROPPED = ["BASH_ENV", "ENV"];

/** Longest `NAME=value` string Linux passes to a program (MAX_ARG_STRLEN, 32 pages): more fails with E2BIG. */
const MAX_ENV_STRING_BYTES = 128 * 1024;

/** How much of the end of the log a failed command's error quotes (a single line can be any size). */
const ERROR_TAIL_BYTES = 4096;

/**
 * The command's environment: ours without `BASH_ENV`/`ENV`, every parameter under its own name, then
 * the `RUNNABLE_*` variables. A reserved name (graph/reserved.ts) is refused here too, as a last line
 * behind run creation — e.g. for a run created before the name was reserved and retried now.
 */
export function shellEnvironment(parameters: Record<string, JsonValue>, runnable: Record<string, string>, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const name of DROPPED) delete env[name];
  for (const [k, v] of Object.entries(parameters)) {
    const reserved = reservedNameMessage("parameter", k);
    if (reserved) throw new Error(reserved);
    const value = envValue(v);
    const bytes = Buffer.byteLength(value) + k.length + 2;
    if (bytes > MAX_ENV_STRING_BYTES) {
      throw new Error(`parameter "${k}" is ${formatBytes(bytes)} as an environment variable; the system passes at most ${formatBytes(MAX_ENV_STRING_BYTES)} ` +
        "per variable to a command: pass big data to shell steps through the catalog (a file)");
    }
    env[k] = value;
  }
  return { ...env, ...runnable };
}

/**
 * Runs `bash --noprofile --norc -c command` in its own process group, with parameters only in the
 * environment (never interpolated into the command text), stdout+stderr into one log file, and the
 * whole group killed when `timeoutMs` passes (the error is then named `runnable.Timeout`).
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
  const cleanup = () => rm(dir, { recursive: true, force: true });
  let env: NodeJS.ProcessEnv;
  try {
    env = shellEnvironment(options.parameters, {
      RUNNABLE_OUTPUT: outputFile, RUNNABLE_RUN_ID: options.runId, RUNNABLE_STEP: options.step, RUNNABLE_ATTEMPT: String(options.attempt),
    });
  } catch (e) {
    await cleanup();
    throw e;
  }
  const log = await open(logFile, "w");
  let error: Error | undefined;
  try {
    // No start-up files: neither a login profile nor a bashrc runs before the command.
    const child = spawn("bash", ["--noprofile", "--norc", "-c", options.command], { cwd: options.cwd, env, detached: true, stdio: ["ignore", log.fd, log.fd] });
    let timedOut = false;
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch { /* already gone */ }
    }, Math.max(0, options.timeoutMs));
    const stop = interruptGroup(child.pid, options.signal);
    const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.once("error", (e: NodeJS.ErrnoException) => reject(e.code === "E2BIG"
        ? new Error("the command's environment (its parameters) is larger than the system allows (E2BIG): pass big data to shell steps through the catalog (a file)", { cause: e })
        : e));
      child.once("exit", (c, s) => resolve({ code: c, signal: s }));
    });
    if (timer) clearTimeout(timer);
    const interrupted = await stop();
    if (interrupted) {
      error = interrupted;
      error.message = `${error.message}: the command's process group was stopped`;
    } else if (timedOut) {
      error = new Error(`step "${options.step}" timed out after ${((options.timeoutMs ?? 0) / 1000).toFixed(1)}s: its command's process group was killed`);
      error.name = options.timeoutName;
    } else if (code !== 0) {
      const tail = (await logTail(logFile)).split("\n").filter(Boolean).slice(-10).join("\n");
      error = new Error(`command ${signal ? `was killed by ${signal}` : `exited with code ${code}`}${tail ? `; last output:\n${tail}` : ""}`);
      error.name = "ShellError";
    }
  } finally {
    await log.close();
  }
  let outputs: Record<string, JsonValue> = {};
  if (!error) {
    try {
      outputs = parseOutput(await readOutput(outputFile));
    } catch (e) {
      error = e as Error;
    }
  }
  return { outputs, logFile, ...(error ? { error } : {}), cleanup };
}

/** The text of `$RUNNABLE_OUTPUT` ("" when the command wrote none), refused over MAX_OUTPUT_FILE_BYTES. */
async function readOutput(file: string): Promise<string> {
  const size = await stat(file).then((st) => st.size, () => undefined);
  if (size === undefined) return "";
  if (size > MAX_OUTPUT_FILE_BYTES) {
    throw new Error(`$RUNNABLE_OUTPUT is ${formatBytes(size)}; it holds returns for the run log and is limited to ${formatBytes(MAX_OUTPUT_FILE_BYTES)}: write big data to a file and put it in the catalog`);
  }
  return readFile(file, "utf8");
}

/** The last ERROR_TAIL_BYTES of the log as text (a partial first line is dropped). */
async function logTail(file: string): Promise<string> {
  const handle = await open(file, "r");
  try {
    const { size } = await handle.stat();
    const start = Math.max(0, size - ERROR_TAIL_BYTES);
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(size - start), 0, size - start, start);
    const text = buffer.subarray(0, bytesRead).toString("utf8");
    return start > 0 ? text.slice(text.indexOf("\n") + 1) : text;
  } finally {
    await handle.close();
  }
}
