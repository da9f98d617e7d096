import { buildGraph, type BuiltPipeline } from "../graph/build.js";
import { checkParameterFlow, schemaProviders } from "../graph/flow.js";
import type { BatchDefaults, FargateSize } from "../graph/resources.js";
import type { RootGraph } from "../graph/types.js";
import { DefinitionError, type Problem } from "../sdk/errors.js";
import { isPipeline } from "../sdk/node.js";
import type { Pipeline } from "../sdk/pipeline.js";
import type { CompileContext, Scope } from "./asl/context.js";
import { addRaise } from "./asl/failure.js";
import { StateNamer, type StateInfo } from "./asl/names.js";
import { compilePipeline, firstStateName } from "./asl/pipeline.js";
import { pruneUnreachable, stateNamesInOrder } from "./asl/prune.js";
import { CAUGHT_ERROR, PLACEHOLDERS, REDRIVE_COUNT, addHandlerTask, stepEvent, type PlaceholderName } from "./asl/render.js";
import type { AslDefinition } from "./asl/types.js";
import { estimate, type Estimate } from "./estimate.js";
import { stepFunctions, type LambdaDefaults, type StepFunctionGroup } from "./sizing.js";
import { inlineMapBounds } from "./guard.js";

export type * from "./asl/types.js";
export type { StateInfo, StateRole } from "./asl/names.js";
export type { Estimate, MapEstimate } from "./estimate.js";
export { stepFunctions, stepSpec, tasksOf, type FunctionSpec, type LambdaDefaults, type StepFunctionGroup } from "./sizing.js";
export { PLACEHOLDERS, type PlaceholderName } from "./asl/render.js";
export { BATCH_EVENT_ENV } from "./asl/batch.js";
export { mapRunLabel } from "./asl/map.js";
export { validateAsl, type AslValidation } from "./validate.js";

/** Every placeholder name a definition may contain, as `${Name}` (the CDK stack substitutes them); `JobDefinitionArn` is followed by `_<size>`. */
export const PLACEHOLDER_NAMES: readonly PlaceholderName[] = Object.values(PLACEHOLDERS);

/** Step Functions' limit on a definition's size (bytes of JSON). */
export const MAX_DEFINITION_BYTES = 1_048_576;

/** Options of compile(). */
export interface CompileOptions {
  /** "EXPRESS" is honoured only when no step needs a `.sync` integration (compute "batch"). Default "STANDARD". */
  workflowType?: "STANDARD" | "EXPRESS";
  /** Known Map sizes by definition path (`fanout`, `outer.*.inner`): checked against the execution-history quota and used by the estimate. Default: none (1 item assumed). */
  expectedMapItems?: Record<string, number>;
  /** Name used when the Pipeline has none (as buildGraph's). Default "pipeline". */
  fallbackName?: string;
  /** Lambda size of steps that set no `resources`/`timeoutSeconds` (the CDK construct's `lambda` defaults). Default 1024 MiB, 900 s. */
  lambdaDefaults?: LambdaDefaults;
  /** Size of batch steps that set no `resources` (the CDK construct's `batch` defaults). Default 1 vCPU, 2048 MiB. */
  batchDefaults?: BatchDefaults;
}

export interface CompileResult {
  definition: AslDefinition;
  workflowType: "STANDARD" | "EXPRESS";
  /** State name → the step it belongs to (definition path) and what it does; includes hashed long names. */
  states: Record<string, StateInfo>;
  /** Placeholder names used by the definition (without `${}`), sorted. */
  placeholders: PlaceholderName[];
  /**
   * Step Lambda placeholder → its size and the lambda steps it runs: `StepFunctionArn` (default size,
   * every bookkeeping action) plus one `StepFunctionArn_<size>` per other size the steps ask for.
   */
  functions: Record<string, StepFunctionGroup>;
  /** Job definition placeholder (`JobDefinitionArn_v1m2048`) → the Fargate size it must be registered with, and the batch steps using it. */
  jobDefinitions: Record<string, FargateSize & { steps: string[] }>;
  estimate: Estimate;
  /** The graph compiled (its dagHash identifies the pipeline). */
  graph: RootGraph;
}

/** Run-level state names ("@" cannot appear in step names, so they never collide with a step's). */
export const RUN_STATES = { start: "@run-start", succeeded: "@run-succeeded", failed: "@run-failed", fail: "@run-fail" } as const;

function toGraph(input: Pipeline | BuiltPipeline | RootGraph, fallbackName?: string): RootGraph {
  if (isPipeline(input)) return buildGraph(input, fallbackName ? { fallbackName } : {}).graph;
  if ("graph" in input) return input.graph;
  return input;
}

/**
 * Compiles a pipeline to an AWS Step Functions definition (ASL, JSONPath). Pure and deterministic:
 * the same pipeline gives byte-identical `JSON.stringify(definition)`. Execution input is
 * `{ "runId": "…" }`; every handler call sends a StepEvent (references only, see protocol.ts).
 * Throws a DefinitionError naming the step on a quota violation.
 */
export function compile(input: Pipeline | BuiltPipeline | RootGraph, options: CompileOptions = {}): CompileResult {
  const graph = toGraph(input, options.fallbackName);
  // With a parameters schema the run's parameter names are known now: check the flow before deploying.
  const flow = schemaProviders(graph);
  const problems: Problem[] = flow ? checkParameterFlow(graph, flow) : [];
  const namer = new StateNamer();
  const workflowType = options.workflowType ?? "STANDARD";
  const ctx: CompileContext = {
    namer,
    syncSteps: [],
    problems,
    placeholders: new Set(),
    lambdaDefaults: options.lambdaDefaults ?? {},
    batchDefaults: options.batchDefaults ?? {},
    jobDefinitions: new Map(),
    pipeline: (p, scope, exit) => compilePipeline(ctx, p, scope, exit),
    first: (node) => firstStateName(namer, node),
    // Express workflows keep no execution history in Step Functions: no quota to guard.
    ...(workflowType === "STANDARD" ? { mapGuards: inlineMapBounds(graph) } : {}),
  };
  const scope: Scope = { states: {}, failTo: RUN_STATES.failed, depth: 0, execution: "$$.Execution.Name", redrive: REDRIVE_COUNT };
  const run = (role: StateInfo["role"]): StateInfo => ({ stepPath: "", role });

  addHandlerTask(ctx, scope, RUN_STATES.start, run("run-start"), stepEvent("start", "", scope),
    { transition: { Next: ctx.first(graph.steps[0]!) }, catchTo: RUN_STATES.failed });
  compilePipeline(ctx, graph, scope, { Next: RUN_STATES.succeeded });
  addHandlerTask(ctx, scope, RUN_STATES.succeeded, run("run-succeeded"), stepEvent("finalise", "", scope, { status: "SUCCESS" }),
    { transition: { End: true }, catchTo: RUN_STATES.failed });
  addHandlerTask(ctx, scope, RUN_STATES.failed, run("run-failed"), stepEvent("finalise", "", scope, { status: "FAIL", ...CAUGHT_ERROR }),
    { transition: { Next: RUN_STATES.fail } });
  addRaise(ctx, { ...scope, failTo: null }, "", RUN_STATES.fail);

  if (workflowType === "EXPRESS" && ctx.syncSteps.length) {
    problems.push(...ctx.syncSteps.map((path) => ({ path, code: "express-sync", message:
      'compute "batch" waits for the job (batch:submitJob.sync), which Express workflows do not support: compile as STANDARD' })));
  }
  const definition: AslDefinition = {
    Comment: `runnable-ts pipeline "${graph.name}" (dagHash ${graph.dagHash})`,
    StartAt: RUN_STATES.start,
    States: scope.states,
  };
  pruneUnreachable(definition);
  const est = estimate(graph, options.expectedMapItems);
  if (workflowType === "EXPRESS") dropHistoryQuota(est);
  problems.push(...est.problems);
  const bytes = Buffer.byteLength(JSON.stringify(definition));
  if (bytes > MAX_DEFINITION_BYTES) {
    problems.push({ path: "", code: "definition-too-large", message:
      `the compiled definition is ${bytes} bytes, over Step Functions' limit of ${MAX_DEFINITION_BYTES}: `
      + `split the pipeline or move repeated steps into a Map (largest steps: ${largestSteps(graph, est.estimate).join(", ")})` });
  }
  if (problems.length) throw new DefinitionError(problems);
  return {
    definition,
    workflowType,
    states: Object.fromEntries(stateNamesInOrder(definition).map((name) => [name, namer.info(name)!])),
    placeholders: [...ctx.placeholders].sort() as PlaceholderName[],
    functions: stepFunctions(graph, options.lambdaDefaults),
    jobDefinitions: Object.fromEntries([...ctx.jobDefinitions].sort(([a], [b]) => a.localeCompare(b))),
    estimate: est.estimate,
    graph,
  };
}

/** Express workflows have no execution-history quota: no Map limit, nothing refused for it. */
function dropHistoryQuota(est: ReturnType<typeof estimate>): void {
  for (const m of Object.values(est.estimate.maps)) {
    delete m.maxInlineMapItems;
    delete m.guardItems;
  }
  est.problems = est.problems.filter((p) => p.code !== "map-too-large");
}

/** The top-level steps with the most states, to point at what makes a definition big. */
function largestSteps(graph: RootGraph, est: Estimate): string[] {
  const top = graph.steps.map((s) => s.path).sort((a, b) => (est.perNode[b] ?? 0) - (est.perNode[a] ?? 0) || a.localeCompare(b));
  return top.slice(0, 3).map((p) => `"${p}"`);
}
