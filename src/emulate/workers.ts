import { fork, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { cpus } from "node:os";
import { ownModule, ownModuleExecArgv } from "../core/package.js";
import type { StepResult } from "../runtime/protocol.js";
import type { ChildMessage, InvokeMessage } from "./worker-protocol.js";

/**
 * A warm pool of step-handler processes, mimicking Lambda container reuse: a process is started
 * on demand (cold start), serves one invocation at a time, and is reused while it stays healthy.
 * Each process is limited to the step's memory (`--max-old-space-size`) and killed when the
 * invocation outlives its timeout — the handler code cannot hold the emulator hostage.
 */

/** Options of the pool. */
export interface WorkerPoolOptions {
  /** Pipeline file each worker imports (the Lambda bundle's entry, here loaded with tsx). */
  pipelineFile: string;
  /** Name for a Pipeline without one (the CLI's folder-name fallback), so dagHashes agree. */
  pipelineName: string;
  /** Environment of the workers on top of ours (bucket, endpoint, region, credentials). */
  env: Record<string, string>;
  /** Most processes alive at once (Lambda concurrency). Default: 2 × CPUs, at least 4. */
  maxWorkers?: number;
  /** Time after the timeout before the process is killed (a handler finishing right at its deadline still reports). Default 250 ms. */
  killGraceMs?: number;
  /** Forward workers' stdout/stderr to ours (what steps print; on AWS it goes to the function's logs). Default false. */
  echo?: boolean;
}

/** One invocation's limits, as on the Lambda function. */
export interface InvokeLimits {
  /** The function's timeout: the context's remaining time at the start, and the kill deadline. */
  timeoutMs: number;
  memoryMiB: number;
  functionName: string;
  /** ASL error reported when the process is killed on timeout. Default "Sandbox.Timedout". */
  timeoutError?: string;
}

/**
 * An error as Step Functions reports a failed `lambda:invoke`: `name` is the `Error` field
 * (what Retry/Catch match) and `message` the `Cause` — a JSON string of the Lambda error.
 */
export class TaskError extends Error {
  constructor(error: string, cause: string) {
    super(cause);
    this.name = error;
  }
  static lambda(errorType: string, errorMessage: string, trace: string[] = []): TaskError {
    return new TaskError(errorType, JSON.stringify({ errorType, errorMessage, trace }));
  }
}

interface Current {
  id: number;
  resolve: (r: StepResult) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

interface Worker {
  /** The function it is a container of (name + memory): containers are never shared between functions, as on Lambda. */
  key: string;
  memoryMiB: number;
  child: ChildProcess;
  ready: Promise<void>;
  busy: boolean;
  dead: boolean;
  current?: Current;
  stderrTail: string;
}

const CHILD = ownModule("handlers/emulator-worker");

export class WorkerPool {
  private readonly workers = new Set<Worker>();
  private readonly waiting: { key: string; memoryMiB: number; grant: (w: Worker) => void }[] = [];
  private nextId = 1;
  private closed = false;
  private readonly max: number;
  /** Processes started (cold starts) and invocations served, for benchmarks and tests. */
  readonly stats = { coldStarts: 0, invocations: 0, kills: 0 };

  constructor(private readonly options: WorkerPoolOptions) {
    this.max = options.maxWorkers ?? Math.max(4, 2 * cpus().length);
  }

  /** Runs one invocation in a warm (or new) worker; rejects with a TaskError carrying the Lambda error envelope. */
  async invoke(event: unknown, limits: InvokeLimits): Promise<StepResult> {
    if (this.closed) throw new Error("the worker pool is closed");
    const worker = await this.acquire(`${limits.functionName}\u0000${limits.memoryMiB}`, limits.memoryMiB);
    try {
      await worker.ready;
    } catch (err) {
      this.release(worker);
      throw err;
    }
    this.stats.invocations++;
    return new Promise<StepResult>((resolve, reject) => {
      const id = this.nextId++;
      const timer = setTimeout(() => {
        // The handler did not return in time (e.g. a function blocking the event loop): kill it, as Lambda does.
        this.stats.kills++;
        worker.current = undefined;
        this.kill(worker);
        reject(TaskError.lambda(limits.timeoutError ?? "Sandbox.Timedout", `Task timed out after ${(limits.timeoutMs / 1000).toFixed(2)} seconds`));
      }, limits.timeoutMs + (this.options.killGraceMs ?? 250));
      worker.current = { id, resolve, reject, timer };
      const msg: InvokeMessage = {
        type: "invoke", id, event, timeoutMs: limits.timeoutMs, requestId: randomUUID(),
        functionName: limits.functionName, memoryMiB: limits.memoryMiB,
      };
      worker.child.send(msg);
    });
  }

  /** No invocation running or waiting. */
  get idle(): boolean {
    return this.waiting.length === 0 && [...this.workers].every((w) => !w.busy);
  }

  /**
   * The run is interrupted: every busy worker gets SIGTERM (its step stops and records its attempt
   * `runnable.Interrupted`, see handlers/emulator-worker.ts); those still running after `graceMs` are killed.
   * Resolves when every invocation that was running has settled.
   */
  async interrupt(graceMs: number): Promise<void> {
    const busy = [...this.workers].filter((w) => w.current);
    const settled = busy.map((w) => new Promise<void>((resolve) => {
      // Retired: it exits after reporting, so no later invocation may be given to it.
      w.dead = true;
      this.workers.delete(w);
      if (w.child.exitCode !== null || w.child.signalCode !== null) return resolve();
      w.child.once("exit", () => resolve());
      w.child.kill("SIGTERM");
    }));
    const hard = setTimeout(() => busy.forEach((w) => w.child.kill("SIGKILL")), graceMs);
    await Promise.all(settled);
    clearTimeout(hard);
  }

  /** Stops every worker. */
  async close(): Promise<void> {
    this.closed = true;
    const exits = [...this.workers].map((w) => new Promise<void>((resolve) => {
      if (w.child.exitCode !== null || w.child.signalCode !== null) return resolve();
      w.child.once("exit", () => resolve());
      this.kill(w);
    }));
    await Promise.all(exits);
  }

  private acquire(key: string, memoryMiB: number): Promise<Worker> {
    const w = this.tryAcquire(key, memoryMiB);
    if (w) return Promise.resolve(w);
    return new Promise((grant) => this.waiting.push({ key, memoryMiB, grant }));
  }

  private tryAcquire(key: string, memoryMiB: number): Worker | undefined {
    for (const w of this.workers) {
      if (!w.busy && !w.dead && w.key === key) {
        w.busy = true;
        return w;
      }
    }
    if (this.workers.size >= this.max) {
      // Make room by retiring an idle process of another function.
      const idle = [...this.workers].find((w) => !w.busy);
      if (!idle) return undefined;
      this.kill(idle, false);
    }
    const w = this.spawn(key, memoryMiB);
    w.busy = true;
    return w;
  }

  private release(worker: Worker): void {
    worker.busy = false;
    this.pump();
  }

  private pump(): void {
    while (this.waiting.length && !this.closed) {
      const next = this.waiting[0]!;
      const w = this.tryAcquire(next.key, next.memoryMiB);
      if (!w) return;
      this.waiting.shift();
      next.grant(w);
    }
  }

  private spawn(key: string, memoryMiB: number): Worker {
    this.stats.coldStarts++;
    const child = fork(CHILD, [], {
      execArgv: [...ownModuleExecArgv(), `--max-old-space-size=${memoryMiB}`],
      env: { ...process.env, ...this.options.env, RUNNABLE_PIPELINE_FILE: this.options.pipelineFile, RUNNABLE_PIPELINE_NAME: this.options.pipelineName, RUNNABLE_HANDLER_PROCESS: String(process.pid) },
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      serialization: "advanced",
    });
    const worker: Worker = { key, memoryMiB, child, busy: false, dead: false, stderrTail: "", ready: Promise.resolve() };
    this.workers.add(worker);
    child.stdout!.on("data", (chunk: Buffer) => { if (this.options.echo) process.stdout.write(chunk); });
    child.stderr!.on("data", (chunk: Buffer) => {
      if (this.options.echo) process.stderr.write(chunk);
      worker.stderrTail = (worker.stderrTail + chunk.toString()).slice(-4000);
    });
    worker.ready = new Promise<void>((resolve, reject) => {
      child.on("message", (raw: unknown) => {
        const msg = raw as ChildMessage;
        if (msg.type === "ready") return resolve();
        this.onResult(worker, msg);
      });
      child.once("exit", (code, signal) => {
        const error = TaskError.lambda("Lambda.Unknown", `Runtime exited with error: ${signal ? `signal: ${signal}` : `exit status ${code}`}\n${worker.stderrTail.trim()}`);
        reject(error);
        this.onExit(worker, error);
      });
    });
    worker.ready.catch(() => undefined);
    return worker;
  }

  private onResult(worker: Worker, msg: Extract<ChildMessage, { type: "result" }>): void {
    const cur = worker.current;
    if (!cur || cur.id !== msg.id) return;
    clearTimeout(cur.timer);
    worker.current = undefined;
    if (msg.ok) {
      this.release(worker);
      cur.resolve(msg.result);
      return;
    }
    // A step failed on its deadline may leave the user's code running (a pending sleep, a
    // child process): retire the container rather than reuse it.
    if (msg.errorType === "runnable.Timeout") this.kill(worker);
    else this.release(worker);
    cur.reject(TaskError.lambda(msg.errorType, msg.errorMessage, msg.trace));
  }

  private onExit(worker: Worker, error: TaskError): void {
    worker.dead = true;
    this.workers.delete(worker);
    const cur = worker.current;
    worker.current = undefined;
    if (cur) {
      clearTimeout(cur.timer);
      cur.reject(error);
    }
    this.pump();
  }

  private kill(worker: Worker, pump = true): void {
    if (worker.dead) return;
    worker.dead = true;
    this.workers.delete(worker);
    worker.child.kill("SIGKILL");
    if (pump) this.pump();
  }
}
