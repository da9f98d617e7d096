import type { BuiltPipeline } from "../graph/build.js";
import type { MapNodeGraph, NodeGraph, PipelineGraph, TaskNode } from "../graph/types.js";
import { lastOf, succeeded, type Scope, type StepContext } from "../runtime/context.js";
import { readSecrets } from "../runtime/secrets.js";
import { itemOf } from "../runtime/objects.js";
import { PROTOCOL_VERSION, type StepAction } from "../core/protocol.js";
import type { StepEvent, StepResult } from "../runtime/protocol.js";
import { handleStepEvent } from "../runtime/step-event.js";
import { toStepError } from "../runtime/run-step.js";
import { interruptedError, isInterruption, sleepUnless } from "../runtime/interrupt.js";
import { ERRORS } from "../core/protocol.js";
import { StepFailure } from "../sdk/errors.js";
import type { StepError } from "../sdk/runlog.js";
import { allowedFailures } from "../graph/tolerance.js";
import { ON_FAILURE, type StepFunction } from "../sdk/types.js";
import type { RunHeader, Stores } from "../store/types.js";
import type { ProgressListener } from "./events.js";
import type { Isolation } from "./isolate.js";

/** Parallel branches run at once unless `maxConcurrency` says otherwise. */
export const PARALLEL_CONCURRENCY = 8;

/** Options of the in-process executor. */
export interface LocalOptions {
  /** Execution id: "local" for the first run, "retry-<n>" for retries. */
  execution: string;
  /** Directory functions and commands run in (catalog get/put target). Default `process.cwd()`. */
  workDir?: string;
  /** Overrides every Map's maxConcurrency and the Parallel default (8). */
  maxConcurrency?: number;
  onEvent?: ProgressListener;
  /** Waits between retries; injectable so tests do not sleep. Default setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => Date;
  /** Stand-ins for steps by definition path (see `resolveMocks`). */
  mocks?: ReadonlyMap<string, StepFunction>;
  /**
   * Warning text for an inline Map starting with `count` items that a Standard execution on AWS
   * would refuse (definition path); reported as a "warning" event, the Map still runs.
   */
  mapWarning?: (path: string, count: number) => string | undefined;
  /**
   * Interrupts the run (SIGINT/SIGTERM): no step starts after it fires, running shell commands are
   * stopped, running attempts are recorded FAIL `runnable.Interrupted` (no retry, no onFailure), and
   * the run ends FAIL with that error.
   */
  signal?: AbortSignal;
  /** Every task attempt in a fresh directory of its own (see isolate.ts). */
  isolation?: Isolation;
  /** A retry's changes: parameters overriding the run's (the root scope), the `--from` step. */
  changes?: { parameters?: Scope; from?: string };
}

interface Outcome {
  status: "SUCCESS" | "FAIL";
  outputs: Scope;
  error?: StepError;
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Wait before retry n (0-based): intervalSeconds · backoffRate^n, capped by maxDelaySeconds. */
export function retryDelayMs(retry: TaskNode["retry"], n: number): number {
  const s = retry.intervalSeconds * retry.backoffRate ** n;
  return Math.round(1000 * (retry.maxDelaySeconds !== undefined ? Math.min(s, retry.maxDelaySeconds) : s));
}

/** Runs `fn` over the items, `limit` at a time; no new item starts once more than `tolerate` have failed, or once `signal` fires. */
async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<Outcome>, tolerate = 0, signal?: AbortSignal): Promise<Outcome[]> {
  const results: Outcome[] = new Array<Outcome>(items.length);
  let next = 0;
  let failures = 0;
  const worker = async () => {
    while (failures <= tolerate && !signal?.aborted && next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
      if (results[i].status === "FAIL") failures++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results.filter(Boolean);
}

/**
 * Runs a created run's pipeline in-process. Every step and composite is recorded through
 * `handleStepEvent` — the same code the Lambda/Batch handlers and the emulator call — so the run log
 * has the same shape in every mode; the executor only adds the walk, concurrency and retries, and
 * hands each event the scope it already holds so the hot path never re-reads the store.
 * Resolves to the run's status after recording it (finalise).
 */
export async function executeLocal(built: BuiltPipeline, stores: Stores, header: RunHeader, options: LocalOptions): Promise<"SUCCESS" | "FAIL"> {
  const { runId } = header;
  const { execution } = options;
  const emit = options.onEvent ?? (() => {});
  const sleep = options.sleep ?? realSleep;
  const base: StepContext = {
    built, stores, workDir: options.workDir ?? process.cwd(), objectCache: new Map(), secrets: readSecrets(),
    attempts: await stores.runLog.allAttempts(runId), ...(options.now ? { now: options.now } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.changes ? { execution: options.changes } : {}),
    ...(options.mocks?.size ? { mocks: options.mocks } : {}),
  };
  const { signal } = options;
  /** The outcome of a step that did not start because the run was interrupted (nothing recorded). */
  const notStarted = (): Outcome => ({ status: "FAIL", outputs: {}, error: toStepError(interruptedError(signal?.reason)) });
  const view = base.attempts!;

  const send = (
    action: StepAction, node: NodeGraph | undefined, indexes: number[], scope: Scope | undefined, extra: Partial<StepEvent> = {}, workDir?: string,
  ): Promise<StepResult> =>
    handleStepEvent(
      { v: PROTOCOL_VERSION, action, runId, path: node?.path ?? "", indexes, execution, retryCount: 0, ...extra },
      scope || workDir ? { ...base, ...(scope ? { scope } : {}), ...(workDir ? { workDir } : {}) } : base,
    );

  async function runPipe(p: PipelineGraph, prefix: string, indexes: number[], scope: Scope): Promise<Outcome> {
    let current = scope;
    // Branches share the scope they were given: the first step that returns something makes this
    // pipeline its own copy, which later steps' returns then extend in place (a copy per step would
    // cost O(steps²) in a long pipeline). No step holds on to the scope once it has ended.
    let owned = false;
    const outputs: Scope = {};
    for (const node of p.steps) {
      const stepPath = prefix ? `${prefix}.${node.name}` : node.name;
      const r = await runNode(node, stepPath, indexes, current);
      if (r.status === "SUCCESS") {
        if (Object.keys(r.outputs).length > 0) {
          if (owned) Object.assign(current, r.outputs);
          else [current, owned] = [{ ...current, ...r.outputs }, true];
          Object.assign(outputs, r.outputs);
        }
        if (node.kind === "success") break;
        continue;
      }
      // An interruption is not the step's failure: no recovery pipeline runs.
      if (node.onFailure && !isInterruption(r.error)) {
        // The recovery pipeline replaces the rest of this pipeline and sees the failed step's input scope.
        const recovered = await runPipe(node.onFailure, `${stepPath}.${ON_FAILURE}`, indexes, current);
        return { ...recovered, outputs: Object.assign(outputs, recovered.outputs) };
      }
      return { status: "FAIL", outputs, ...(r.error ? { error: r.error } : {}) };
    }
    return { status: "SUCCESS", outputs };
  }

  async function runNode(node: NodeGraph, stepPath: string, indexes: number[], scope: Scope): Promise<Outcome> {
    const done = succeeded(view.get(stepPath));
    if (done) {
      emit({ type: "step-end", stepPath, kind: node.kind, status: "SUCCESS", attempt: done.attempt, skipped: true });
      return { status: "SUCCESS", outputs: done.outputParameters };
    }
    if (signal?.aborted) return notStarted();
    const started = performance.now();
    emit({ type: "step-start", stepPath, kind: node.kind });
    let outcome: Outcome;
    try {
      outcome = await dispatch(node, stepPath, indexes, scope);
    } catch (e) {
      // A failed step (handleStepEvent's StepFailure), as opposed to a store or program error.
      if (!(e instanceof StepFailure)) throw e;
      outcome = { status: "FAIL", outputs: {}, error: toStepError(e) };
    }
    const last = lastOf(view.get(stepPath));
    // Show the user's own error (e.g. "TypeError: …") rather than the ASL name it travels under.
    const error = outcome.status === "FAIL" ? (last?.error ?? outcome.error) : undefined;
    emit({
      type: "step-end", stepPath, kind: node.kind, status: outcome.status, durationMs: performance.now() - started,
      ...(last ? { attempt: last.attempt } : {}), ...(error ? { error } : {}),
    });
    return outcome;
  }

  /** The recorded outputs of a step that just succeeded. */
  const recorded = (stepPath: string): Outcome => ({ status: "SUCCESS", outputs: lastOf(view.get(stepPath))?.outputParameters ?? {} });

  async function endComposite(node: NodeGraph, stepPath: string, indexes: number[], scope: Scope, results: Outcome[]): Promise<Outcome> {
    // Items the pool never started (interrupted) have no outcome: the composite did not finish.
    const failed = results.find((r) => r.status === "FAIL") ?? (signal?.aborted ? notStarted() : undefined);
    if (failed) {
      const error = failed.error ?? { name: "runnable.StepFailed", message: `a branch of "${stepPath}" failed` };
      await send("nodeEnd", node, indexes, scope, { status: "FAIL", error: { Error: error.name.slice(0, 256), Cause: error.message.slice(0, 4096) } });
      return { status: "FAIL", outputs: {}, error };
    }
    await send("nodeEnd", node, indexes, scope, { status: "SUCCESS" });
    return recorded(stepPath);
  }

  async function dispatch(node: NodeGraph, stepPath: string, indexes: number[], scope: Scope): Promise<Outcome> {
    switch (node.kind) {
      case "function": case "shell": case "notebook":
        return runTask(node, stepPath, indexes, scope);
      case "stub":
        await send("stub", node, indexes, undefined);
        return recorded(stepPath);
      case "success":
        await send("nodeEnd", node, indexes, undefined);
        return { status: "SUCCESS", outputs: {} };
      case "fail":
        await send("nodeEnd", node, indexes, undefined); // records, then throws runnable.FailStep
        return { status: "FAIL", outputs: {} };
      case "parallel": {
        const limit = options.maxConcurrency ?? PARALLEL_CONCURRENCY;
        const keys = Object.keys(node.branches).sort();
        const results = await pool(keys, limit, (key) => runPipe(node.branches[key]!, `${stepPath}.${key}`, indexes, scope), 0, signal);
        return endComposite(node, stepPath, indexes, scope, results);
      }
      case "map":
        return runMap(node, stepPath, indexes, scope);
      case "conditional": {
        const { branch } = await send("conditionalStart", node, indexes, scope);
        const chosen = branch === "default" ? node.default : node.branches[branch!];
        const result = await runPipe(chosen!, `${stepPath}.${branch}`, indexes, scope);
        return endComposite(node, stepPath, indexes, scope, [result]);
      }
    }
  }

  async function runMap(node: MapNodeGraph, stepPath: string, indexes: number[], scope: Scope): Promise<Outcome> {
    const { count = 0 } = await send("mapStart", node, indexes, scope);
    emit({ type: "map-items", stepPath, kind: node.kind, items: count });
    const warning = options.mapWarning?.(node.path, count);
    if (warning) emit({ type: "warning", stepPath, kind: "map", message: warning });
    const list = scope[node.iterateOn];
    const items = Array.from({ length: count }, (_, i) => i);
    // A Distributed Map may tolerate some failed iterations (their returns are null), as on AWS.
    const tolerate = allowedFailures({ percentage: node.toleratedFailurePercentage, count: node.toleratedFailureCount }, count);
    const results = await pool(items, options.maxConcurrency ?? node.maxConcurrency, (i) =>
      runPipe(node.branch, `${stepPath}.${i}`, [...indexes, i], { ...scope, [node.iterateAs]: itemOf(list, i) }), tolerate, signal);
    const failed = results.filter((r) => r.status === "FAIL").length;
    return endComposite(node, stepPath, indexes, scope, failed <= tolerate ? results.filter((r) => r.status !== "FAIL") : results);
  }

  async function runTask(node: TaskNode, stepPath: string, indexes: number[], scope: Scope): Promise<Outcome> {
    for (let retryCount = 0; ; retryCount++) {
      try {
        const { isolation } = options;
        if (isolation) await isolation.attempt(stepPath, node.kind, (dir) => send("task", node, indexes, scope, { retryCount }, dir));
        else await send("task", node, indexes, scope, { retryCount });
        return recorded(stepPath);
      } catch (e) {
        if (!(e instanceof StepFailure) || retryCount + 1 >= node.retry.attempts || e.code === ERRORS.interrupted || signal?.aborted) throw e;
        await sleepUnless(signal, retryDelayMs(node.retry, retryCount), sleep);
        if (signal?.aborted) throw interruptedError(signal.reason);
      }
    }
  }

  await send("start", undefined, [], undefined);
  emit({ type: "run-start", stepPath: runId, graph: built.graph });
  let outcome: Outcome;
  try {
    outcome = await runPipe(built.graph, "", [], { ...header.parameters, ...options.changes?.parameters });
  } catch (e) {
    // A store or program error (not a step failure): still close the run so it does not stay RUNNING.
    await send("finalise", undefined, [], undefined, { status: "FAIL" }).catch(() => undefined);
    throw e;
  }
  // An interrupted run ends FAIL with the interruption as the run's error, whatever had finished.
  const stopped = signal?.aborted ? interruptedError(signal.reason) : undefined;
  const { status } = await send("finalise", undefined, [], undefined, stopped
    ? { status: "FAIL", error: { Error: ERRORS.interrupted, Cause: stopped.message } }
    : { status: outcome.status });
  emit({ type: "run-end", stepPath: runId, status });
  return status;
}
