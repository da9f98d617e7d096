import type { BuiltPipeline } from "../src/graph/index.js";
import { walk } from "../src/graph/index.js";
import type { TaskNode } from "../src/graph/types.js";
import { TIMEOUT_GRACE_SECONDS } from "../src/compile/asl/task.js";

export { loadPipelineSources, type PipelineFileEntry, type PipelineSource } from "../src/api/pipelines.js";

/** Sizing defaults of step Lambdas. */
export interface LambdaDefaults {
  /** Memory (MiB) of a step that sets none. Default 1024. */
  memoryMiB?: number;
  /** Timeout (s) of a step that sets none. Default 900 (the Lambda maximum). */
  timeoutSeconds?: number;
}

export const LAMBDA_MAX_TIMEOUT = 900;

/**
 * One Lambda serves every lambda step of a pipeline (and the bookkeeping actions), so it gets the
 * largest memory and timeout any of them asks for; the timeout is capped at Lambda's 900 s (longer
 * steps belong on `compute: "batch"`).
 */
export function lambdaSizing(built: BuiltPipeline, defaults: LambdaDefaults = {}): { memoryMiB: number; timeoutSeconds: number } {
  const memoryDefault = defaults.memoryMiB ?? 1024;
  const timeoutDefault = defaults.timeoutSeconds ?? LAMBDA_MAX_TIMEOUT;
  const tasks = tasksOf(built).filter((t) => t.compute === "lambda");
  // Bookkeeping actions are tiny: a pipeline without lambda steps gets a small, short function.
  if (tasks.length === 0) return { memoryMiB: 256, timeoutSeconds: 60 };
  const memoryMiB = Math.max(...tasks.map((t) => t.memoryMiB ?? memoryDefault));
  // Same headroom as the compiled Task's TimeoutSeconds: the handler must outlive the step's own
  // timeout long enough to record the timed-out attempt.
  const longest = Math.max(...tasks.map((t) => (t.timeoutSeconds === undefined ? timeoutDefault : t.timeoutSeconds + TIMEOUT_GRACE_SECONDS)));
  const timeoutSeconds = Math.min(LAMBDA_MAX_TIMEOUT, longest);
  return { memoryMiB, timeoutSeconds };
}

/** Function and shell steps of a pipeline, including those in branches, maps and onFailure pipelines. */
export function tasksOf(built: BuiltPipeline): TaskNode[] {
  const tasks: TaskNode[] = [];
  walk(built.graph, (n) => {
    if (n.kind === "function" || n.kind === "shell") tasks.push(n);
  });
  return tasks;
}
