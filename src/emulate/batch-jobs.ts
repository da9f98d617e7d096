import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import type { Readable } from "node:stream";
import { ownModule, ownModuleExecArgv } from "../core/package.js";
import { TaskError } from "./workers.js";

/** What handlers/batch.ts reads for the StepResult's file descriptor (kept here: src/ never imports handlers/). */
const RESULT_FD_ENV = "RUNNABLE_RESULT_FD";

/**
 * Runs a `batch:submitJob.sync` task as AWS Batch would run the container: a fresh process of
 * `handlers/batch.ts` with the job's environment (the StepEvent in `RUNNABLE_STEP_EVENT`), killed after the job's
 * attempt duration. Success returns a job description; failure raises `States.TaskFailed` with
 * the job description as the Cause, as the `.sync` integration does.
 */

const ENTRY = ownModule("handlers/batch");

export interface BatchJobOptions {
  jobName: string;
  /** Job environment (bucket, endpoint, pipeline file …). */
  env: Record<string, string>;
  /** Attempt duration; the container is killed after it. */
  timeoutMs: number;
  memoryMiB: number;
  echo?: boolean;
  /** The run is interrupted: the job gets SIGTERM (as `TerminateJob` sends the container), SIGKILL after `graceMs`. */
  signal?: AbortSignal;
  graceMs?: number;
}

export interface JobDescription {
  JobId: string;
  JobName: string;
  Status: "SUCCEEDED" | "FAILED";
  StatusReason?: string;
  Container: { ExitCode?: number; Reason?: string };
  [key: string]: unknown;
}

/** Runs one job; resolves with its description when the container exits 0. */
export function runBatchJob(options: BatchJobOptions): Promise<JobDescription> {
  return new Promise((resolve, reject) => {
    // The handler's StepResult comes on fd 3, apart from what the step prints: on AWS it is a line of
    // the job's log, here stdout is echoed as the step's output (the CLI's stdout) and must not hold it.
    const child = spawn(process.execPath, [...ownModuleExecArgv(), `--max-old-space-size=${options.memoryMiB}`, ENTRY], {
      env: { ...process.env, ...options.env, RUNNABLE_HANDLER_PROCESS: String(process.pid), [RESULT_FD_ENV]: "3" },
      stdio: ["ignore", "pipe", "pipe", "pipe"],
    });
    (child.stdio[3] as Readable).resume();
    let tail = "";
    const keep = (out: NodeJS.WriteStream) => (chunk: Buffer): void => {
      if (options.echo) out.write(chunk);
      tail = (tail + chunk.toString()).slice(-2000);
    };
    child.stdout!.on("data", keep(process.stdout));
    child.stderr!.on("data", keep(process.stderr));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, options.timeoutMs);
    let hard: NodeJS.Timeout | undefined;
    const onAbort = () => {
      child.kill("SIGTERM");
      hard = setTimeout(() => child.kill("SIGKILL"), options.graceMs ?? 5000);
    };
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener("abort", onAbort, { once: true });
    const done = () => {
      clearTimeout(timer);
      clearTimeout(hard);
      options.signal?.removeEventListener("abort", onAbort);
    };
    child.once("error", (err) => {
      done();
      reject(err);
    });
    child.once("exit", (code, signal) => {
      done();
      const base = { JobId: randomUUID(), JobName: options.jobName };
      if (code === 0) return resolve({ ...base, Status: "SUCCEEDED", Container: { ExitCode: 0 } });
      const reason = timedOut ? "Job attempt duration exceeded timeout" : "Essential container in task exited";
      const job: JobDescription = {
        ...base, Status: "FAILED", StatusReason: reason,
        Container: { ...(code !== null ? { ExitCode: code } : {}), Reason: signal ? `killed (${signal})` : tail.trim().split("\n").slice(-3).join("\n") },
      };
      reject(new TaskError("States.TaskFailed", JSON.stringify(job)));
    });
  });
}
