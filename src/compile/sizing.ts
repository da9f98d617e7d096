import { LAMBDA_LIMITS } from "../graph/aws-limits.js";
import { walk } from "../graph/paths.js";
import type { PipelineGraph, TaskNode } from "../graph/types.js";
import { PLACEHOLDERS, type PlaceholderName } from "./asl/render.js";

/** Sizing defaults of step Lambdas. */
export interface LambdaDefaults {
  /** Memory (MiB) of a step that sets none, and of the bookkeeping function. Default 1024. */
  memoryMiB?: number;
  /** Timeout (s) of a step that sets none, and of the bookkeeping function. Default 900 (the Lambda maximum). */
  timeoutSeconds?: number;
}

/** What a step Lambda is deployed with. */
export interface FunctionSpec {
  memoryMiB: number;
  /** The function's timeout: the step's own + TIMEOUT_GRACE_SECONDS (≤ 900), else the default. */
  timeoutSeconds: number;
  architecture: "arm64" | "x86_64";
  /** `/tmp` size in MiB (Lambda's default 512). */
  ephemeralStorageMiB: number;
}

/** One deployed step Lambda: its size, and the lambda steps (definition paths) it runs. */
export interface StepFunctionGroup extends FunctionSpec {
  /** Lambda task steps this function runs, in definition order. The bookkeeping function also runs every start/end/choice action. */
  steps: string[];
}

/** Seconds a step Lambda outlives the step's own timeout, so the handler can record a timed-out attempt (see asl/task.ts). */
export const TIMEOUT_GRACE_SECONDS = 30;

/** Function, shell and notebook steps of a pipeline, including those in branches, maps and onFailure pipelines. */
export function tasksOf(graph: PipelineGraph): TaskNode[] {
  const tasks: TaskNode[] = [];
  walk(graph, (n) => {
    if (n.kind === "function" || n.kind === "shell" || n.kind === "notebook") tasks.push(n);
  });
  return tasks;
}

/** The size the defaults give: what steps without resources, and the bookkeeping actions, run with. */
export function defaultSpec(defaults: LambdaDefaults = {}): FunctionSpec {
  return {
    memoryMiB: defaults.memoryMiB ?? 1024,
    timeoutSeconds: defaults.timeoutSeconds ?? LAMBDA_LIMITS.timeoutSeconds.max,
    architecture: "arm64",
    ephemeralStorageMiB: LAMBDA_LIMITS.ephemeralStorageMiB.min,
  };
}

/** The Lambda size one lambda step runs with: its own resources, else the defaults. */
export function stepSpec(task: TaskNode, defaults: LambdaDefaults = {}): FunctionSpec {
  const d = defaultSpec(defaults);
  return {
    memoryMiB: task.memoryMiB ?? d.memoryMiB,
    timeoutSeconds: task.timeoutSeconds === undefined ? d.timeoutSeconds : Math.min(LAMBDA_LIMITS.timeoutSeconds.max, task.timeoutSeconds + TIMEOUT_GRACE_SECONDS),
    architecture: task.architecture ?? d.architecture,
    ephemeralStorageMiB: task.ephemeralStorageMiB ?? d.ephemeralStorageMiB,
  };
}

/**
 * The function placeholder of a size: `StepFunctionArn` for the default size (which also runs the
 * bookkeeping actions), else `StepFunctionArn_m<memory>t<timeout>[a<x86>][s<storage>]`.
 */
export function functionPlaceholder(spec: FunctionSpec, defaults: LambdaDefaults = {}): PlaceholderName {
  const d = defaultSpec(defaults);
  const same = spec.memoryMiB === d.memoryMiB && spec.timeoutSeconds === d.timeoutSeconds
    && spec.architecture === d.architecture && spec.ephemeralStorageMiB === d.ephemeralStorageMiB;
  if (same) return PLACEHOLDERS.stepFunctionArn;
  const arch = spec.architecture === "x86_64" ? "x86" : "";
  const storage = spec.ephemeralStorageMiB !== d.ephemeralStorageMiB ? `s${spec.ephemeralStorageMiB}` : "";
  return `${PLACEHOLDERS.stepFunctionArn}_m${spec.memoryMiB}t${spec.timeoutSeconds}${arch}${storage}`;
}

/**
 * Lambda steps grouped by (memory, timeout, architecture, ephemeral storage) into as few functions as
 * needed, so each step runs with its own `resources` and a 2 GB step does not make every step a 2 GB
 * Lambda. The default-size function (`StepFunctionArn`) always exists: it runs the bookkeeping actions
 * (run start/finalise, Map/Conditional starts, node ends) and the steps without resources. Keyed by
 * placeholder; the CDK stack deploys one function per entry and the emulator sizes handler processes
 * by the same table.
 */
export function stepFunctions(graph: PipelineGraph, defaults: LambdaDefaults = {}): Record<string, StepFunctionGroup> {
  const groups: Record<string, StepFunctionGroup> = { [PLACEHOLDERS.stepFunctionArn]: { ...defaultSpec(defaults), steps: [] } };
  for (const task of tasksOf(graph)) {
    if (task.compute !== "lambda") continue;
    const spec = stepSpec(task, defaults);
    const key = functionPlaceholder(spec, defaults);
    (groups[key] ??= { ...spec, steps: [] }).steps.push(task.path);
  }
  return Object.fromEntries(Object.entries(groups).sort(([a], [b]) => a.localeCompare(b)));
}
