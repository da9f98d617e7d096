import type { JsonValue, StepFunction } from "./types.js";

export type RunStatus = "SUCCESS" | "FAIL" | "RUNNING";
export type StepStatus = "SUCCESS" | "FAIL" | "RUNNING";
/** Run-log `type` of a step. Function, shell and notebook steps are all "task". */
export type StepType = "task" | "stub" | "parallel" | "map" | "conditional" | "success" | "fail";

/** A file a step took from or gave to the catalog. */
export interface CatalogEntry {
  name: string;
  stage: "get" | "put";
  md5: string;
  size: number;
  /** false when the step's catalog has `storeCopy: false`: only name and hash were recorded. */
  stored?: boolean;
}

export interface StepError {
  /** Error class name, e.g. "TypeError", "runnable.Timeout". */
  name: string;
  message: string;
  stack?: string;
}

/** What a step attempt printed (stdout and stderr), stored in the run's catalog. */
export interface AttemptOutput {
  /** Catalog name: `<stepPath>/attempt-<n>.log`. */
  name: string;
  /** Bytes stored (secrets masked; at most the output limit plus a one-line note). */
  size: number;
  md5: string;
  /** Bytes printed before the stored tail (absent when everything was kept). */
  dropped?: number;
}

/** One attempt of one step. */
export interface AttemptLog {
  attempt: number;
  status: "SUCCESS" | "FAIL";
  startedAt: string;
  endedAt: string;
  /** The parameters the function read, with their values (all of them when it enumerated its argument; every parameter for a shell step). */
  inputParameters: Record<string, JsonValue>;
  /** Names the function read that were not in its scope (it got undefined); absent when none. */
  unprovided?: string[];
  /** true when a mock ran instead of the step's function or command (`execute({ mocks })`, `--mock`). */
  mocked?: true;
  outputParameters: Record<string, JsonValue>;
  metrics: Record<string, JsonValue>;
  error: StepError | null;
  /** For a Conditional: the branch key taken. */
  branch?: string;
  /** For a Map: the number of iterations. */
  iterations?: number;
  /** What the attempt printed; absent when it printed nothing (composites never have one). */
  output?: AttemptOutput;
}

export interface StepLog {
  type: StepType;
  status: StepStatus;
  attempts: AttemptLog[];
  catalog: CatalogEntry[];
}

export interface CodeIdentity {
  type: "git" | "none";
  commit?: string;
  /** A tracked file changed, or an untracked (not ignored) file lies under the pipeline's folder. */
  dirty?: boolean;
  /** Untracked files under the pipeline's folder (folders collapsed, at most 20), relative to it. */
  untracked?: string[];
  /** How many untracked entries there are (also beyond those listed). */
  untrackedCount?: number;
  /** sha256 (hex) of the pipeline file when the run started: the code, also outside git. */
  pipelineSha256?: string;
}

/** One execution of a run: the first run ("local" or the emulator's execution name) or a retry ("retry-<n>"). */
export interface ExecutionLog {
  id: string;
  startedAt: string;
  endedAt: string | null;
  status: RunStatus;
  /** Why it ended FAIL when no step says it: `runnable.Interrupted`, `runnable.Abandoned`, a quota. */
  error?: StepError;
  /** Parameters this retry changed (`retry --parameters`, `RUNNABLE_PRM_*`); the run's own `parameters` stay. */
  parameters?: Record<string, JsonValue>;
  /** The step this retry re-ran from (`retry --from`). */
  from?: string;
}

/** The run log: what `readRunLog` and `result.runLog` return. */
export interface RunLog {
  runId: string;
  pipeline: string;
  status: RunStatus;
  tag: string;
  startedAt: string;
  endedAt: string | null;
  dagHash: string;
  parameters: Record<string, JsonValue>;
  finalParameters: Record<string, JsonValue>;
  codeIdentity: CodeIdentity;
  /**
   * Why the run failed, when no step's record can say it: the execution was ended by Step Functions
   * itself (a quota such as the 25,000-event history, an oversized payload). Absent otherwise.
   */
  error?: StepError;
  /**
   * A RUNNING run whose owner process is gone (kill -9, a crash, power loss): why, e.g. "owner pid
   * 1234 on host h is gone". `runnable retry` takes such a run over (its execution ends FAIL
   * `runnable.Abandoned`). Absent while the owner lives and once the run has ended.
   */
  stale?: string;
  /**
   * Every execution (the first run, each retry), oldest first — present only when one of them ended
   * with an error of its own (interrupted, abandoned, a quota), or a retry changed parameters or
   * re-ran from a step.
   */
  executions?: ExecutionLog[];
  /** Flat, keyed by the step's full path (`par.branch.step`, `map.2.step`, `cond.key.step`). */
  steps: Record<string, StepLog>;
}

/** What ended a failed run: the failing step (its path) and its error. */
export interface RunError {
  /** Step path of the failure's cause, or null when no step recorded one. */
  step: string | null;
  name: string;
  message: string;
}

/** What `pipeline.execute()` resolves to. */
export interface RunResult {
  runId: string;
  status: "SUCCESS" | "FAIL";
  /**
   * The **final** scope: the initial parameters plus every name returned along the way (the run
   * log's `finalParameters`). Kept under this name for compatibility; prefer `finalParameters`.
   * The initial parameters are `runLog.parameters`.
   */
  parameters: Record<string, JsonValue>;
  /** The final scope (same value as `parameters`). */
  finalParameters: Record<string, JsonValue>;
  runLog: RunLog;
  /** On FAIL: what ended the run (the first failing step and its error). */
  error?: RunError;
}

/** Options of `pipeline.execute()`. */
export interface ExecuteOptions {
  /** YAML or JSON file of initial parameters. */
  parametersFile?: string;
  /** Parameters, overriding the file's. `RUNNABLE_PRM_<name>` environment variables override both. */
  parameters?: Record<string, JsonValue>;
  /** Run id (`^[A-Za-z0-9_-]{1,80}$`), refused if it exists. Default: generated, sortable by time. */
  runId?: string;
  /** Free-form label recorded in the run log. Default "". */
  tag?: string;
  /** "local" (in-process, default) or "emulator" (compiled state machine, local S3). */
  mode?: "local" | "emulator";
  /** Directory of run logs and catalogs. Default ".runnable". */
  root?: string;
  /** Parallel branches / Map iterations running at once locally. Default: each Map's maxConcurrency; 8 for Parallel. */
  maxConcurrency?: number;
  /**
   * Stops the run when it fires: no new step starts, running shell commands are stopped, running
   * attempts and the run end FAIL `runnable.Interrupted`. (A running in-process function cannot be
   * stopped: its result is no longer awaited.) The CLI aborts it on SIGINT/SIGTERM.
   */
  signal?: AbortSignal;
  /** Local runs: each step attempt in a fresh directory, files only through the catalog (see PipelineOptions.isolate). Default: the Pipeline's. */
  isolate?: boolean;
  /**
   * Stand-ins for FunctionTask/ShellTask steps (local mode only), by step path — the definition path,
   * Map iterations as `*`, e.g. `"train.rf.fit"`, `"fanout.*.score"` — or by step name when only one
   * step has it. A function is called with the step's argument instead of the step's function or
   * command; any other value is returned as the step's result. Returns bind as usual; each attempt is
   * marked `mocked: true` in the run log.
   */
  mocks?: Record<string, StepFunction | JsonValue>;
}
