import { compile } from "../compile/index.js";
import type { ProgressListener } from "../execute/events.js";
import { resolve } from "node:path";
import { refuseAwsRetry } from "../execute/index.js";
import { checkRetry, nextExecution, resetFrom } from "../execute/retry-rules.js";
import { loadPipelineFile } from "../load/index.js";
import { buildGraph, type BuiltPipeline } from "../graph/index.js";
import { createRun } from "../runtime/index.js";
import { runResultOf } from "../runtime/result.js";
import { RunNotFoundError, UsageError } from "../sdk/errors.js";
import type { Pipeline } from "../sdk/pipeline.js";
import type { RunResult } from "../sdk/runlog.js";
import type { JsonValue } from "../sdk/types.js";
import {
  emulatorPlaceholders, inspectDefinition, substitute, takeOverLambdaTimeouts, withAwsTaskTimeouts, type JsonObject,
} from "./definition.js";
import { distributedMapHandler, rewriteDistributedMaps } from "./distributed-map.js";
import { EventLogWriter, eventKey } from "./event-log.js";
import { STATUS_CHANGE_DETAIL_TYPE, finaliseFromStatusChange } from "../runtime/status-change.js";
import { MAX_HISTORY_EVENTS, type StateKind } from "../compile/history.js";
import { HistoryCounter, HistoryLimitExceeded, historyKinds } from "./history.js";
import { NO_TASK_TIMEOUT_SECONDS } from "./limits.js";
import { isInterruption } from "../runtime/interrupt.js";
import { ERRORS } from "../core/protocol.js";
import { holdLease } from "../store/lease.js";
import { emulatorProgress } from "./progress.js";
import { MapGates, gateMaps, isGateEvent } from "./map-gate.js";
import { ExecutionControl, runMachine, type ExecutionEvent, type MachineRunOptions, type TaskHandler } from "./machine.js";
import { EmulatorSession, type EmulatorSessionOptions } from "./session.js";
import { functionSizes, makeTaskHandlers, STOP_GRACE_MS, type FunctionSize } from "./tasks.js";

/**
 * The emulator: runs the compiled state machine in aws-local-stepfunctions, every Task state
 * routed to the real handler code (warm Lambda-like processes, Batch as container processes), the
 * stores on S3 (a local S3-protocol server by default). The run log is the same shape as local.
 */

/** Options shared by `runInEmulator` and `retryInEmulator`. */
export interface EmulatorCommonOptions {
  /** Directory of the default local S3 server (`<root>/s3`). Default ".runnable". */
  root?: string;
  /** S3 endpoint to use instead of the local server started by the emulator. */
  s3Endpoint?: string;
  /** Bucket. Default "runnable". */
  bucket?: string;
  /** Progress (task starts/ends, composite ends), mapped from the state machine's transitions. */
  onEvent?: ProgressListener;
  /** Every raw execution event as it happens (what `runnable logs --events` shows afterwards). */
  onExecutionEvent?: (event: ExecutionEvent) => void;
  /** Wait between retries in ms instead of each Retry policy's (fast tests only). Default: the policies'. */
  retryIntervalMs?: number;
  /** A session kept open across runs (warm workers, one S3 server). Default: one per call, closed at the end. */
  session?: EmulatorSession;
  /** Options of the session made when none is given. */
  sessionOptions?: Omit<EmulatorSessionOptions, "root" | "s3Endpoint" | "bucket">;
  /**
   * Stops the execution when aborted, as StopExecution does on AWS: it ends ABORTED (no Catch runs)
   * and the finaliser marks the run FAIL with error "ExecutionAborted" and the abort reason as cause —
   * or, when the reason is an interruption (SIGINT/SIGTERM, `runnable.Interrupted`), with that error;
   * running handler processes get SIGTERM and record their attempts `runnable.Interrupted`.
   */
  signal?: AbortSignal;
  /**
   * The execution-history quota enforced (events per execution). Default 25,000, Step Functions'
   * own; lower it to watch a pipeline meet the quota without running thousands of steps.
   */
  historyQuota?: number;
}

export interface EmulatorRunOptions extends EmulatorCommonOptions {
  built: BuiltPipeline;
  /** The pipeline file: handler processes import it, as the deployed bundle does. Required. */
  source: string | undefined;
  /** Caps the handler processes alive at once (Lambda concurrency); Map/Parallel concurrency stays the definition's. */
  maxConcurrency?: number;
  /** Initial parameters, already folded (file ← options ← env ← -p); validated by createRun. */
  parameters: Record<string, JsonValue>;
  /** Raw text of parameters given as text, for a parameters schema to coerce. */
  texts?: Record<string, string>;
  /** true when `parameters` are already the schema's output (see createRun). */
  parametersValidated?: boolean;
  runId?: string;
  tag?: string;
}

export interface EmulatorRetryOptions extends EmulatorCommonOptions {
  /** The pipeline to re-run. Default: the run's recorded source file, imported again. */
  pipeline?: Pipeline;
  /** Take over a RUNNING run whose owner looks alive (see execute/retry-rules.ts). */
  force?: boolean;
  /** Re-run from this step (see RetryOptions.from). */
  from?: string;
}

/** Runs a pipeline in the emulator; resolves with the run's result also when the run fails. */
export async function runInEmulator(options: EmulatorRunOptions): Promise<RunResult> {
  const source = options.source;
  if (!source) throw new UsageError("emulator mode needs the pipeline file (handler processes import it): run it with `runnable run <file> --mode emulator`");
  const sessionOptions = options.maxConcurrency !== undefined ? { ...options.sessionOptions, maxWorkers: options.maxConcurrency } : options.sessionOptions;
  return withSession({ ...options, ...(sessionOptions ? { sessionOptions } : {}) }, async (session) => {
    const target = { built: options.built, source: resolve(source) };
    const prepared = prepare(target, session);
    const header = await createRun(session.storage.stores, {
      built: options.built, parameters: options.parameters, source: target.source, mode: "emulator", root: options.root ?? ".runnable",
      ...(options.texts ? { texts: options.texts } : {}),
      ...(options.parametersValidated ? { parametersValidated: true } : {}),
      ...(options.runId !== undefined ? { runId: options.runId } : {}),
      ...(options.tag !== undefined ? { tag: options.tag } : {}),
    });
    // The first execution is named after the run, as the deployed API starts it.
    return execute(options, target, session, prepared, header.runId, header.runId);
  });
}

/**
 * Re-runs a failed emulator run: a new execution (`retry-<n>`) of the same state machine; the
 * handlers skip every step that already succeeded. Refused while the run is RUNNING, when it
 * succeeded, when the pipeline's graph changed (dagHash), or when it was started on AWS (mode "aws").
 */
export async function retryInEmulator(runId: string, options: EmulatorRetryOptions = {}): Promise<RunResult> {
  return withSession(options, async (session) => {
    const { stores } = session.storage;
    const header = await stores.runLog.getHeader(runId);
    if (!header) throw new RunNotFoundError(runId, `s3://${session.storage.bucket} at ${session.storage.endpoint}`);
    refuseAwsRetry(header);
    await checkRetry(stores, header, { ...(options.force ? { force: true } : {}), ...(options.from !== undefined ? { from: options.from } : {}) });
    if (!header.source) throw new UsageError(`run ${runId} does not record its pipeline file: the emulator needs it to start handler processes`);
    const pipeline = options.pipeline ?? (await loadPipelineFile(header.source)).pipeline;
    const built = buildGraph(pipeline, { fallbackName: header.pipeline });
    if (header.dagHash !== built.graph.dagHash) {
      throw new UsageError(`pipeline changed since run ${runId} (dagHash ${header.dagHash.slice(0, 12)} ≠ ${built.graph.dagHash.slice(0, 12)}); start a new run`);
    }
    const target = { built, source: header.source };
    const prepared = prepare(target, session);
    const execution = await nextExecution(stores, runId);
    if (options.from !== undefined) {
      await resetFrom(stores, built.graph, runId, execution, options.from);
      // Recorded here with what it re-runs from: the handler's own start record (create-only) then stands aside.
      await stores.runLog.startExecution(runId, { id: execution, startedAt: new Date().toISOString(), from: options.from });
    }
    return execute(options, target, session, prepared, runId, execution);
  });
}

async function withSession<T>(options: EmulatorCommonOptions, work: (session: EmulatorSession) => Promise<T>): Promise<T> {
  const own = options.session ? undefined : await EmulatorSession.open({
    ...options.sessionOptions, root: options.root ?? ".runnable",
    ...(options.s3Endpoint !== undefined ? { s3Endpoint: options.s3Endpoint } : {}),
    ...(options.bucket !== undefined ? { bucket: options.bucket } : {}),
  });
  try {
    return await work(options.session ?? own!);
  } finally {
    await own?.close();
  }
}

interface Prepared {
  definition: JsonObject;
  /** Every state AWS would run, by name, with the history it records (the emulator's own states are not in it). */
  kinds: Map<string, StateKind>;
  /** The step (definition path) a state belongs to. */
  stepOf: (state: string) => string | undefined;
  maps: Map<string, JsonObject>;
  gates: Map<string, string>;
  tasks: ReturnType<typeof inspectDefinition>["tasks"];
  /** The step Lambdas by FunctionName (the CDK stack's sizes). */
  functions: Map<string, FunctionSize>;
}

/** The pipeline an execution runs: its graph and the file handler processes import. */
interface Target {
  built: BuiltPipeline;
  source: string;
}

/** Compiles and checks the definition; refuses (UsageError, nothing written) what cannot run faithfully. */
function prepare(options: Target, session: EmulatorSession): Prepared {
  const compiled = compile(options.built);
  const values = emulatorPlaceholders(compiled.placeholders, session.storage.bucket);
  const filled = substitute(compiled.definition as unknown as JsonObject, values);
  const { tasks, problems } = inspectDefinition(filled);
  if (problems.length) {
    throw new UsageError(`the emulator cannot run this state machine faithfully:\n${problems.map((p) => `  - state "${p.state}": ${p.message}`).join("\n")}`);
  }
  // Order matters: gates go into every Map first, so a Distributed Map's stand-in runs gated items too.
  const timed = takeOverLambdaTimeouts(withAwsTaskTimeouts(filled, NO_TASK_TIMEOUT_SECONDS), tasks, NO_TASK_TIMEOUT_SECONDS);
  const gated = gateMaps(timed);
  const { definition, maps } = rewriteDistributedMaps(gated.definition);
  const stepOf = (state: string) => compiled.states[state]?.stepPath || undefined;
  return { definition, kinds: historyKinds(filled), stepOf, maps, tasks, gates: gated.gates, functions: functionSizes(compiled.functions, values) };
}

async function execute(
  options: EmulatorCommonOptions, target: Target, session: EmulatorSession, prepared: Prepared, runId: string, executionName: string,
): Promise<RunResult> {
  const { built, source } = target;
  const name = built.graph.name;
  const control = new ExecutionControl();
  const pool = session.pool(source, name);
  const env = session.handlerEnv(source, name);
  const events: ExecutionEvent[] = [];
  const progress = options.onEvent;
  const stopping = new AbortController();
  const taskHandlers = makeTaskHandlers(prepared.tasks.values(), { functions: prepared.functions, pool, env, control, echo: session.echo, signal: stopping.signal });
  const { stores } = session.storage;
  const reporter = progress && emulatorProgress(built.graph, progress, {
    execution: executionName, attempts: (stepPath) => stores.runLog.attempts(runId, stepPath),
  });
  // Task invocations in flight: an interrupted execution waits for them to record their attempts.
  const inFlight = new Set<Promise<unknown>>();
  const handlers: Record<string, TaskHandler> = {};
  for (const [state, handler] of Object.entries(taskHandlers)) {
    const shown = reporter ? reporter.wrap(handler) : handler;
    handlers[state] = (input) => {
      const call = shown(input);
      inFlight.add(call);
      void call.catch(() => undefined).finally(() => inFlight.delete(call));
      return call;
    };
  }
  const history = new HistoryCounter(prepared.kinds, options.historyQuota ?? MAX_HISTORY_EVENTS);
  const runOptions = (): MachineRunOptions => ({
    executionName, handlers, control, onEvent, history,
    ...(options.retryIntervalMs !== undefined ? { retryIntervalMs: options.retryIntervalMs } : {}),
  });
  const gates = new MapGates(prepared.gates);
  Object.assign(handlers, gates.handlers());
  const onEvent = (event: ExecutionEvent): void => {
    gates.observe(event);
    if (isGateEvent(event)) return;
    events.push(event);
    options.onExecutionEvent?.(event);
    eventLog.changed();
  };
  for (const [state, original] of prepared.maps) handlers[state] = distributedMapHandler(state, original, { s3: session.s3Client, run: runOptions });
  // StopExecution: the signal ends the execution as ABORTED (no Catch sees it); the finaliser marks the run FAIL.
  // An interruption (SIGINT/SIGTERM) records runnable.Interrupted instead, and stops the running steps too.
  let aborted: { Error: string; Cause: string } | undefined;
  let stopped: Promise<unknown> = Promise.resolve();
  const onAbort = (): void => {
    const reason: unknown = options.signal?.reason;
    const cause = reason instanceof Error ? reason.message : typeof reason === "string" ? reason : "the execution was stopped";
    aborted = { Error: isInterruption(reason as Error | undefined) ? ERRORS.interrupted : "ExecutionAborted", Cause: cause };
    control.stop(Object.assign(new Error(aborted.Cause), { name: aborted.Error }));
    // Running handler processes get SIGTERM: their steps stop and record their attempts.
    stopping.abort(reason);
    stopped = Promise.all([pool.interrupt(STOP_GRACE_MS), ...inFlight]).catch(() => undefined);
  };
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener("abort", onAbort, { once: true });
  progress?.({ type: "run-start", stepPath: runId, graph: built.graph });
  // Written as the execution goes (a crash keeps what happened so far), and once more at its end.
  const eventLog = new EventLogWriter((log) => stores.catalog.putInternal(runId, eventKey(executionName), JSON.stringify(log)).then(() => undefined), {
    execution: executionName, status: "RUNNING", error: null, events,
  });
  // Handler processes work in fresh directories: an emulator run shares no working directory.
  const lease = await holdLease(stores.blob, runId, executionName, { isolated: true });
  let result: Awaited<ReturnType<typeof runMachine>>;
  try {
    result = await runMachine(prepared.definition, { runId }, runOptions());
    await stopped;
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
    await lease.release();
  }
  const last = events[events.length - 1];
  if (aborted && last?.type === "ExecutionFailed") last.type = "ExecutionAborted";
  const executionStatus = aborted ? "ABORTED" : result.status;
  await eventLog.end({
    execution: executionName, status: executionStatus, error: aborted ?? result.error ?? null,
    history: { events: history.events, quota: history.limit }, events,
  });
  if (executionStatus !== "SUCCEEDED") {
    // What the deployed stack's EventBridge rule does: the status change goes to the finaliser, which
    // marks the run FAIL with the execution's error — a no-op when @run-failed already recorded it,
    // the only record when the machine died outside any step (the history quota, an oversized
    // payload, an abort). The history quota's cause names the step where it was reached.
    const cause = aborted?.Cause ?? (control.reason instanceof HistoryLimitExceeded ? control.reason.describe(prepared.stepOf) : result.error?.Cause);
    const machineArn = `arn:aws:states:local:000000000000:stateMachine:${name}`;
    await finaliseFromStatusChange({
      source: "aws.states", "detail-type": STATUS_CHANGE_DETAIL_TYPE,
      detail: {
        executionArn: `arn:aws:states:local:000000000000:execution:${name}:${executionName}`, stateMachineArn: machineArn,
        name: executionName, status: executionStatus, input: JSON.stringify({ runId }),
        error: aborted?.Error ?? result.error?.Error ?? null, cause: cause ?? null,
      },
    }, { stores, graphs: new Map([[name, built.graph]]) });
  }
  await reporter?.settled();
  const runLog = await stores.runLog.readRunLog(runId);
  const outcome = runResultOf(runId, runLog);
  progress?.({ type: "run-end", stepPath: runId, status: outcome.status });
  return outcome;
}

