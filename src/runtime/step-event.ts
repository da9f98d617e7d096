import { toStepPath } from "../graph/paths.js";
import { assertNever, type NodeGraph, type PipelineGraph, type RootGraph } from "../graph/types.js";
import type { StepError, StepType } from "../sdk/runlog.js";
import type { AttemptRecord } from "../store/types.js";
import { aslError, chooseBranch, conditionalOutputs, mapOutputs, parallelOutputs } from "./composite.js";
import {
  allAttemptsOf, attemptsOf, nextAttempt, nowOf, recordAttempt, secretsOf, succeeded, type Scope, type StepContext,
} from "./context.js";
import { listLength, prefetchObjects } from "./objects.js";
import { ERRORS, PROTOCOL_VERSION } from "../core/protocol.js";
import { executionId, type StepEvent, type StepResult } from "./protocol.js";
import { runStep, toStepError } from "./run-step.js";
import { pipelineOutcome, resolveScope } from "./scope.js";
import { taskError } from "./task-error.js";
import { maskParameters } from "./secrets.js";

const indexCache = new WeakMap<RootGraph, Map<string, NodeGraph>>();

/** Definition path → node, built once per graph. */
function nodeIndex(graph: RootGraph): Map<string, NodeGraph> {
  let index = indexCache.get(graph);
  if (!index) {
    index = new Map();
    const visit = (p: PipelineGraph) => {
      for (const n of p.steps) {
        index!.set(n.path, n);
        if (n.kind === "parallel" || n.kind === "conditional") Object.values(n.branches).forEach(visit);
        if (n.kind === "conditional" && n.default) visit(n.default);
        if (n.kind === "map") visit(n.branch);
        if (n.onFailure) visit(n.onFailure);
      }
    };
    visit(graph);
    indexCache.set(graph, index);
  }
  return index;
}

function locateEvent(event: StepEvent, ctx: StepContext): { node: NodeGraph; stepPath: string } {
  const node = nodeIndex(ctx.built.graph).get(event.path);
  if (!node) throw aslError(ERRORS.badEvent, `bad step event: no step "${event.path}" in pipeline "${ctx.built.graph.name}"`);
  try {
    return { node, stepPath: toStepPath(event.path, event.indexes) };
  } catch (e) {
    throw aslError(ERRORS.badEvent, `bad step event: ${(e as Error).message}`);
  }
}

const ok = (extra: Partial<StepResult> = {}): StepResult => ({ v: PROTOCOL_VERSION, status: "SUCCESS", ...extra });

function typeOf(node: NodeGraph): StepType {
  return node.kind === "function" || node.kind === "shell" || node.kind === "notebook" ? "task" : node.kind;
}

/** Records one attempt of a non-task node (stub, composites, terminals), idempotent by event key. */
async function recordNode(
  ctx: StepContext, event: StepEvent, node: NodeGraph, stepPath: string,
  fields: { status: "SUCCESS" | "FAIL"; startedAt?: string | undefined; inputs?: Scope; outputs?: Scope; metrics?: Scope; error?: StepError | null; branch?: string; iterations?: number },
): Promise<AttemptRecord> {
  const existing = await attemptsOf(ctx, event.runId, stepPath);
  const { key, attempt, previous } = nextAttempt(existing, event.execution, event.retryCount);
  if (previous) return previous;
  const now = nowOf(ctx).toISOString();
  return recordAttempt(ctx, event.runId, stepPath, {
    key, type: typeOf(node), attempt, status: fields.status, startedAt: fields.startedAt ?? now, endedAt: now,
    inputParameters: fields.inputs ?? {}, outputParameters: fields.outputs ?? {}, metrics: fields.metrics ?? {},
    error: fields.error ?? null, catalog: [],
    ...(fields.branch !== undefined ? { branch: fields.branch } : {}),
    ...(fields.iterations !== undefined ? { iterations: fields.iterations } : {}),
  }, existing);
}

/** The ASL errors a failed record keeps its own name for; every other failure is `runnable.StepFailed`. */
const KEPT_NAMES = [ERRORS.timeout, ERRORS.noBranch, ERRORS.interrupted] as const;

/** Throws the ASL error of a failed record: `runnable.Timeout`, `runnable.NoBranch`, `runnable.Interrupted` as such, else `runnable.StepFailed`. */
function throwFailure(record: AttemptRecord): never {
  const kept = KEPT_NAMES.find((name) => name === record.error?.name);
  throw aslError(kept ?? ERRORS.stepFailed, record.error?.message ?? "step failed");
}

async function scopeOf(ctx: StepContext, runId: string, stepPath: string): Promise<Scope> {
  return ctx.scope ?? resolveScope(runId, stepPath, ctx);
}

/**
 * Handles one step event — the single entry point of Lambda, Batch, the emulator and the local executor.
 *
 * - `start`: the run must exist with the pipeline's dagHash (else `runnable.DagMismatch`); records the execution start.
 * - `task`: one attempt of a FunctionTask/ShellTask/NotebookTask (runStep). A failed attempt is recorded, then an
 *   Error named `runnable.StepFailed` or `runnable.Timeout` is thrown (message: the step's error).
 * - `stub`: records a Stub's success with its returns bound to null.
 * - `mapStart`: `count` of the Map's list (distributed maps: also `itemsKey`, an internal doc of indexes).
 * - `conditionalStart`: `branch` taken; no match and no default → records the Conditional's failure and throws `runnable.NoBranch`.
 * - `nodeEnd`: records a Parallel/Map/Conditional outcome (`status`; SUCCESS merges branch outputs,
 *   Map collects + reduces), a Success step, or a Fail step (recorded, then `runnable.FailStep` thrown).
 * - `finalise`: records the execution's end: status (event's, else derived) and finalParameters.
 * Every record is create-only by `<execution>-<retryCount>`, and a step that already succeeded is
 * skipped, so redelivered events and `runnable retry` are safe.
 */
export async function handleStepEvent(given: StepEvent, ctx: StepContext): Promise<StepResult> {
  // From here on `execution` is the execution id: a redriven execution's records are its own.
  const event = given.redriveCount ? { ...given, execution: executionId(given.execution, given.redriveCount), redriveCount: 0 } : given;
  const { runId } = event;
  switch (event.action) {
    case "start": {
      const header = await ctx.stores.runLog.getHeader(runId);
      if (!header) throw aslError(ERRORS.badEvent, `run "${runId}" not found in ${ctx.stores.blob.location}`);
      if (header.dagHash !== ctx.built.graph.dagHash) {
        throw aslError(ERRORS.dagMismatch, `pipeline changed since run ${runId} (dagHash ${header.dagHash} ≠ ${ctx.built.graph.dagHash})`);
      }
      const changed = ctx.execution;
      await ctx.stores.runLog.startExecution(runId, {
        id: event.execution, startedAt: nowOf(ctx).toISOString(),
        ...(changed?.parameters && Object.keys(changed.parameters).length ? { parameters: maskParameters(changed.parameters, secretsOf(ctx)) } : {}),
        ...(changed?.from !== undefined ? { from: changed.from } : {}),
      });
      return ok();
    }
    case "finalise": {
      const header = await ctx.stores.runLog.getHeader(runId);
      if (!header) throw aslError(ERRORS.badEvent, `run "${runId}" not found in ${ctx.stores.blob.location}`);
      const outcome = pipelineOutcome(await allAttemptsOf(ctx, runId), ctx.built.graph, "");
      const status = event.status ?? outcome.status;
      // A caught step failure is in that step's record (the event has no Cause then); an error with a
      // Cause ended the execution outside any step (a quota): the run log keeps it.
      const error = event.error?.Cause !== undefined ? { error: taskError(event.error.Error, event.error.Cause) } : {};
      await ctx.stores.runLog.endExecution(runId, {
        id: event.execution, endedAt: nowOf(ctx).toISOString(), status, finalParameters: maskParameters({ ...header.parameters, ...ctx.execution?.parameters, ...outcome.outputs }, secretsOf(ctx)), ...error,
      });
      return { v: PROTOCOL_VERSION, status };
    }
    default:
      return handleNodeEvent(event, ctx);
  }
}

async function handleNodeEvent(event: StepEvent, ctx: StepContext): Promise<StepResult> {
  const { runId } = event;
  const { node, stepPath } = locateEvent(event, ctx);
  const mismatch = () => aslError(ERRORS.badEvent, `bad step event: action "${event.action}" does not apply to ${node.kind} step "${stepPath}"`);
  switch (event.action) {
    case "task": {
      if (node.kind !== "function" && node.kind !== "shell" && node.kind !== "notebook") throw mismatch();
      const { record, skipped } = await runStep({ runId, node, stepPath, execution: event.execution, retryCount: event.retryCount }, ctx);
      if (record.status === "FAIL") throwFailure(record);
      return ok({ attempt: record.attempt, ...(skipped ? { skipped } : {}) });
    }
    case "stub": {
      if (node.kind !== "stub") throw mismatch();
      const done = succeeded(await attemptsOf(ctx, runId, stepPath));
      if (done) return ok({ skipped: true, attempt: done.attempt });
      const record = await recordNode(ctx, event, node, stepPath, { status: "SUCCESS", outputs: Object.fromEntries(node.returns.map((r) => [r.name, null])) });
      return ok({ attempt: record.attempt });
    }
    case "mapStart": {
      if (node.kind !== "map") throw mismatch();
      const scope = await scopeOf(ctx, runId, stepPath);
      let count: number;
      try {
        const list = scope[node.iterateOn];
        count = listLength(stepPath, node.iterateOn, list, await prefetchObjects(ctx, runId, list === undefined ? [] : [list]));
      } catch (e) {
        const record = await recordNode(ctx, event, node, stepPath, { status: "FAIL", error: toStepError(e) });
        throwFailure(record);
      }
      const skipped = succeeded(await attemptsOf(ctx, runId, stepPath)) !== undefined;
      if (!node.distributed) return ok({ count, last: count - 1, ...(skipped ? { skipped } : {}) });
      const written = await ctx.stores.catalog.putInternal(runId, `map-items/${stepPath}.json`, JSON.stringify(Array.from({ length: count }, (_, i) => i)));
      // The Map's ItemReader reads the bucket itself: hand it the key with the store's prefix.
      const itemsKey = (ctx.stores.blob.keyPrefix ?? "") + written;
      return ok({ count, itemsKey, ...(skipped ? { skipped } : {}) });
    }
    case "conditionalStart": {
      if (node.kind !== "conditional") throw mismatch();
      const scope = await scopeOf(ctx, runId, stepPath);
      try {
        return ok({ branch: await chooseBranch(ctx, runId, node, stepPath, scope) });
      } catch (e) {
        const record = await recordNode(ctx, event, node, stepPath, { status: "FAIL", inputs: pick(scope, node.parameter), error: toStepError(e) });
        throwFailure(record);
      }
    }
    case "nodeEnd":
      return nodeEnd(event, ctx, node, stepPath);
    case "start": case "finalise":
      throw mismatch();
    default:
      return assertNever(event.action);
  }
}

/**
 * When a composite started: the earliest start among the attempts its steps made in this execution
 * (the same in every mode, since no start event exists for a Parallel); undefined when none ran.
 */
function firstStart(view: Map<string, AttemptRecord[]>, stepPath: string, execution: string): string | undefined {
  const inside = `${stepPath}.`;
  const ours = `${execution}-`;
  let first: string | undefined;
  for (const [path, list] of view) {
    if (!path.startsWith(inside)) continue;
    for (const a of list) if (a.key.startsWith(ours) && (first === undefined || a.startedAt < first)) first = a.startedAt;
  }
  return first;
}

function pick(scope: Scope, name: string): Scope {
  return name in scope ? { [name]: scope[name]! } : {};
}

async function nodeEnd(event: StepEvent, ctx: StepContext, node: NodeGraph, stepPath: string): Promise<StepResult> {
  const { runId } = event;
  const done = succeeded(await attemptsOf(ctx, runId, stepPath));
  if (done) return ok({ skipped: true, attempt: done.attempt });
  switch (node.kind) {
    case "success":
      return ok({ attempt: (await recordNode(ctx, event, node, stepPath, { status: "SUCCESS" })).attempt });
    case "fail": {
      const error = { name: ERRORS.failStep, message: `Fail step "${stepPath}" reached` };
      await recordNode(ctx, event, node, stepPath, { status: "FAIL", error });
      throw aslError(error.name, error.message);
    }
    case "parallel": case "map": case "conditional":
      break;
    default:
      throw aslError(ERRORS.badEvent, `bad step event: action "nodeEnd" does not apply to ${node.kind} step "${stepPath}"`);
  }
  const scope = node.kind === "parallel" ? {} : await scopeOf(ctx, runId, stepPath);
  const inputs = node.kind === "map" ? pick(scope, node.iterateOn) : node.kind === "conditional" ? pick(scope, node.parameter) : {};
  const view = await allAttemptsOf(ctx, runId);
  const startedAt = firstStart(view, stepPath, event.execution);
  if (event.status === "FAIL") {
    // Step Functions hands the composite its own error name only (a Distributed Map reports
    // States.ExceedToleratedFailureThreshold, the compiled Catch passes no Cause): record the failing
    // step's real error, read from the run log, as local mode does.
    const given = event.error?.Cause !== undefined && event.error.Error !== EXCEEDED_TOLERATED_FAILURES
      ? taskError(event.error.Error, event.error.Cause) : undefined;
    const error = given ?? rootCause(view, stepPath, event.execution)
      ?? { name: event.error?.Error ?? ERRORS.stepFailed, message: event.error?.Cause ?? `a branch of "${stepPath}" failed` };
    await recordNode(ctx, event, node, stepPath, { status: "FAIL", startedAt, inputs, error });
    return { v: PROTOCOL_VERSION, status: "FAIL" };
  }
  let fields: Parameters<typeof recordNode>[4];
  try {
    if (node.kind === "parallel") fields = { status: "SUCCESS", startedAt, outputs: parallelOutputs(view, node, stepPath) };
    else if (node.kind === "conditional") {
      const branch = await chooseBranch(ctx, runId, node, stepPath, scope);
      fields = { status: "SUCCESS", startedAt, inputs, branch, outputs: conditionalOutputs(view, node, stepPath, branch) };
    } else {
      const list = scope[node.iterateOn];
      const count = listLength(stepPath, node.iterateOn, list, await prefetchObjects(ctx, runId, list === undefined ? [] : [list]));
      fields = { status: "SUCCESS", startedAt, inputs, iterations: count, ...(await mapOutputs(ctx, runId, view, node, stepPath, count)) };
    }
  } catch (e) {
    const record = await recordNode(ctx, event, node, stepPath, { status: "FAIL", startedAt, inputs, error: toStepError(e) });
    throwFailure(record);
  }
  return ok({ attempt: (await recordNode(ctx, event, node, stepPath, fields)).attempt });
}

/** The error a Distributed Map state fails with when a child execution fails (beyond its tolerance). */
export const EXCEEDED_TOLERATED_FAILURES = "States.ExceedToleratedFailureThreshold";

const ASL_NAMES = new Set<string>(Object.values(ERRORS));

/**
 * The first failure inside a composite in this execution: among the steps under `stepPath` whose
 * latest attempt of this execution failed, the ones with no failed step inside them (the causes,
 * not the composites they failed), the earliest to end. Its ASL error name and its own message.
 */
export function rootCause(view: Map<string, AttemptRecord[]>, stepPath: string, execution: string): StepError | undefined {
  const inside = `${stepPath}.`;
  const ours = `${execution}-`;
  const failed = new Map<string, AttemptRecord>();
  for (const [path, list] of view) {
    if (!path.startsWith(inside)) continue;
    const mine = list.filter((a) => a.key.startsWith(ours));
    const last = mine[mine.length - 1];
    if (last?.status === "FAIL" && last.error) failed.set(path, last);
  }
  const causes = [...failed].filter(([path]) => ![...failed.keys()].some((other) => other.startsWith(`${path}.`)));
  causes.sort(([pa, a], [pb, b]) => a.endedAt.localeCompare(b.endedAt) || pa.localeCompare(pb));
  const first = causes[0]?.[1].error;
  if (!first) return undefined;
  return { name: ASL_NAMES.has(first.name) ? first.name : ERRORS.stepFailed, message: first.message };
}
