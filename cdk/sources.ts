import type { BuiltPipeline } from "../src/graph/index.js";
import type { TaskNode } from "../src/graph/types.js";
import { MAX_LAMBDA_SECONDS } from "../src/compile/asl/task.js";
import { type LambdaDefaults, lambdaSizing as sizeOf, tasksOf as tasksIn } from "../src/compile/sizing.js";

export { loadPipelineSources, type PipelineFileEntry, type PipelineSource } from "../src/api/pipelines.js";

export const LAMBDA_MAX_TIMEOUT = MAX_LAMBDA_SECONDS;
export type { LambdaDefaults };

/** The step Lambda's memory and timeout for a pipeline (shared with the emulator: src/compile/sizing.ts). */
export function lambdaSizing(built: BuiltPipeline, defaults: LambdaDefaults = {}): { memoryMiB: number; timeoutSeconds: number } {
  return sizeOf(built.graph, defaults);
}

/** Function and shell steps of a pipeline, including those in branches, maps and onFailure pipelines. */
export function tasksOf(built: BuiltPipeline): TaskNode[] {
  return tasksIn(built.graph);
}
