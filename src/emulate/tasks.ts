import type { FunctionSpec } from "../compile/sizing.js";
import { runBatchJob } from "./batch-jobs.js";
import type { Json, JsonObject, TaskInfo } from "./definition.js";
import {
  NO_TASK_TIMEOUT_SECONDS, checkPayload, DataLimitExceeded,
} from "./limits.js";
import type { ExecutionControl, TaskHandler } from "./machine.js";
import { TaskError, type WorkerPool } from "./workers.js";

/**
 * Local handlers for the compiled Task states, doing what the AWS service integrations do:
 * `lambda:invoke` → the step handler in a warm worker, returning `{ Payload, StatusCode: 200 }`
 * or raising the Lambda error envelope; `batch:submitJob.sync` → `handlers/batch.ts` as a
 * container process. Payloads are checked against the 256 KiB limit on the way in and out.
 */

/** Time a handler process gets, after SIGTERM, to record its interrupted attempt before it is killed. */
export const STOP_GRACE_MS = 5000;

/** A deployed step Lambda's size, as the emulator runs it. */
export interface FunctionSize {
  memoryMiB: number;
  timeoutMs: number;
}

/**
 * The step Lambdas the CDK stack deploys for a pipeline (src/compile/sizing.ts, shared with cdk/), by
 * the FunctionName a Task carries once its placeholder is filled in (`values`: placeholder → value).
 */
export function functionSizes(functions: Record<string, FunctionSpec>, values: Record<string, string>): Map<string, FunctionSize> {
  const out = new Map<string, FunctionSize>();
  for (const [placeholder, spec] of Object.entries(functions)) {
    out.set(values[placeholder] ?? placeholder, { memoryMiB: spec.memoryMiB, timeoutMs: spec.timeoutSeconds * 1000 });
  }
  return out;
}

export interface TaskHandlerDeps {
  /** The step Lambdas by FunctionName. */
  functions: Map<string, FunctionSize>;
  pool: WorkerPool;
  /** Environment of handler processes and batch jobs. */
  env: Record<string, string>;
  control: ExecutionControl;
  echo?: boolean;
  /** Interrupts running Batch jobs (the run is being stopped). */
  signal?: AbortSignal;
}

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * `$$.State.RetryCount` as Step Functions gives it: 0 on a state's first try, +1 per retry. The
 * interpreter lacks it, so it is counted here per state and map iteration (our machines have no loops,
 * so each (state, indexes) is entered once per execution).
 */
export class RetryCounter {
  private readonly counts = new Map<string, number>();
  next(state: string, indexes: Json | undefined): number {
    const key = `${state}\u0000${JSON.stringify(indexes ?? [])}`;
    const n = this.counts.get(key) ?? 0;
    this.counts.set(key, n + 1);
    return n;
  }
}

/** The Task's own timeout in ms (what the interpreter enforces), or undefined when it has none. */
function taskTimeoutMs(state: JsonObject): number | undefined {
  const t = state.TimeoutSeconds;
  return typeof t === "number" && t < NO_TASK_TIMEOUT_SECONDS ? t * 1000 : undefined;
}

function guarded(what: string, control: ExecutionControl, value: Json): void {
  try {
    checkPayload(value, what);
  } catch (err) {
    if (err instanceof DataLimitExceeded) control.stop(err);
    throw err;
  }
}

/** The container memory a Batch task asks for (its MEMORY resource requirement), else Batch's default. */
function batchMemory(overrides: JsonObject): number {
  const reqs = Array.isArray(overrides.ResourceRequirements) ? overrides.ResourceRequirements : [];
  const memory = reqs.find((r) => isObject(r) && r.Type === "MEMORY");
  const value = isObject(memory) ? Number(memory.Value) : NaN;
  return Number.isFinite(value) && value > 0 ? value : 2048;
}

export function makeTaskHandlers(tasks: Iterable<TaskInfo>, deps: TaskHandlerDeps): Record<string, TaskHandler> {
  const counter = new RetryCounter();
  const out: Record<string, TaskHandler> = {};
  for (const task of tasks) {
    if (task.kind === "lambda") out[task.name] = lambdaHandler(task, deps, counter);
    else if (task.kind === "batch") out[task.name] = batchHandler(task, deps, counter);
  }
  return out;
}

function lambdaHandler(task: TaskInfo, deps: TaskHandlerDeps, counter: RetryCounter): TaskHandler {
  const taskTimeout = taskTimeoutMs(task.state);
  return async (input) => {
    guarded(`the input of Task "${task.name}"`, deps.control, input);
    const request = isObject(input) ? input : {};
    const functionName = typeof request.FunctionName === "string" ? request.FunctionName : "";
    const fn = deps.functions.get(functionName);
    if (!fn) throw new TaskError("Lambda.ResourceNotFoundException", JSON.stringify({ errorMessage: `Function not found: ${functionName}` }));
    const payload: Json = isObject(request.Payload) ? { ...request.Payload, retryCount: counter.next(task.name, request.Payload.indexes) } : request.Payload ?? null;
    // The process is killed at whichever comes first: the Task's timeout (States.Timeout; see
    // takeOverLambdaTimeouts) or the function's (Lambda reports Sandbox.Timedout).
    const byTask = taskTimeout !== undefined && taskTimeout <= fn.timeoutMs;
    const result = await deps.pool.invoke(payload, {
      timeoutMs: byTask ? taskTimeout : fn.timeoutMs,
      memoryMiB: fn.memoryMiB,
      functionName,
      timeoutError: byTask ? "States.Timeout" : "Sandbox.Timedout",
    });
    const output: Json = { ExecutedVersion: "$LATEST", Payload: result as unknown as Json, StatusCode: 200 };
    guarded(`the result of Task "${task.name}"`, deps.control, output);
    return output;
  };
}

/** Container environment variable carrying the StepEvent to `handlers/batch.ts` (what the compiler emits). */
export const BATCH_EVENT_ENV = "RUNNABLE_STEP_EVENT";

/** The StepEvent of a Batch job: `RUNNABLE_STEP_EVENT` in its environment override, or `--request <json>` in its command override. */
export function batchRequest(parameters: JsonObject): JsonObject | undefined {
  const overrides = isObject(parameters.ContainerOverrides) ? parameters.ContainerOverrides : {};
  const command = Array.isArray(overrides.Command) ? overrides.Command : [];
  const i = command.indexOf("--request");
  let text: Json | undefined = i >= 0 ? command[i + 1] : undefined;
  if (text === undefined && Array.isArray(overrides.Environment)) {
    const entry = overrides.Environment.find((e) => isObject(e) && e.Name === BATCH_EVENT_ENV);
    text = isObject(entry) ? entry.Value : undefined;
  }
  if (isObject(text)) return text;
  if (typeof text !== "string") return undefined;
  try {
    const parsed = JSON.parse(text) as Json;
    return isObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function batchHandler(task: TaskInfo, deps: TaskHandlerDeps, counter: RetryCounter): TaskHandler {
  return async (input) => {
    guarded(`the input of Task "${task.name}"`, deps.control, input);
    const params = isObject(input) ? input : {};
    const request = batchRequest(params);
    if (!request) {
      throw Object.assign(new Error(JSON.stringify({ reason: `Task "${task.name}": no ${BATCH_EVENT_ENV} in ContainerOverrides.Environment` })), { name: "States.TaskFailed" });
    }
    const event = { ...request, retryCount: counter.next(task.name, request.indexes) };
    const overrides = isObject(params.ContainerOverrides) ? params.ContainerOverrides : {};
    const jobEnv: Record<string, string> = {};
    if (Array.isArray(overrides.Environment)) {
      for (const e of overrides.Environment) if (isObject(e) && typeof e.Name === "string") jobEnv[e.Name] = String(e.Value ?? "");
    }
    const timeout = isObject(params.Timeout) && typeof params.Timeout.AttemptDurationSeconds === "number" ? params.Timeout.AttemptDurationSeconds * 1000 : undefined;
    const job = await runBatchJob({
      jobName: typeof params.JobName === "string" ? params.JobName : task.name,
      env: { ...deps.env, ...jobEnv, [BATCH_EVENT_ENV]: JSON.stringify(event) },
      timeoutMs: timeout ?? taskTimeoutMs(task.state) ?? 24 * 3600_000,
      memoryMiB: batchMemory(overrides),
      ...(deps.echo ? { echo: true } : {}),
      ...(deps.signal ? { signal: deps.signal, graceMs: STOP_GRACE_MS } : {}),
    });
    const output = job as unknown as Json;
    guarded(`the result of Task "${task.name}"`, deps.control, output);
    return output;
  };
}
