import { walk } from "../graph/paths.js";
import type { PipelineGraph, TaskNode } from "../graph/types.js";
import { MAX_LAMBDA_SECONDS, TIMEOUT_GRACE_SECONDS } from "./asl/task.js";

/** Sizing defaults of step Lambdas. */
export interface LambdaDefaults {
  /** Memory (MiB) of a step that sets none. Default 1024. */
  memoryMiB?: number;
  /** Timeout (s) of a step that sets none. Default 900 (the Lambda maximum). */
  timeoutSeconds?: number;
}

/** Function, shell and notebook steps of a pipeline, including those in branches, maps and onFailure pipelines. */
export function tasksOf(graph: PipelineGraph): TaskNode[] {
  const tasks: TaskNode[] = [];
  walk(graph, (n) => {
    if (n.kind === "function" || n.kind === "shell" || n.kind === "notebook") tasks.push(n);
  });
  return tasks;
}

/**
 * One Lambda serves every lambda step of a pipeline (and the bookkeeping actions), so it gets the
 * largest memory and timeout any of them asks for; a step's own timeout gets the compiled Task's
 * grace, so the handler outlives it long enough to record the timed-out attempt; capped at Lambda's
 * 900 s (longer steps belong on `compute: "batch"`). The CDK stack deploys this size and the
 * emulator runs handler processes with it, so both agree.
 */
export function lambdaSizing(graph: PipelineGraph, defaults: LambdaDefaults = {}): { memoryMiB: number; timeoutSeconds: number } {
  const memoryDefault = defaults.memoryMiB ?? 1024;
  const timeoutDefault = defaults.timeoutSeconds ?? MAX_LAMBDA_SECONDS;
  const tasks = tasksOf(graph).filter((t) => t.compute === "lambda");
  // Bookkeeping actions are tiny: a pipeline without lambda steps gets a small, short function.
  if (tasks.length === 0) return { memoryMiB: 256, timeoutSeconds: 60 };
  const memoryMiB = Math.max(...tasks.map((t) => t.memoryMiB ?? memoryDefault));
  const longest = Math.max(...tasks.map((t) => (t.timeoutSeconds === undefined ? timeoutDefault : t.timeoutSeconds + TIMEOUT_GRACE_SECONDS)));
  return { memoryMiB, timeoutSeconds: Math.min(MAX_LAMBDA_SECONDS, longest) };
}
