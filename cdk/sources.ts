import type { BuiltPipeline } from "../src/graph/index.js";
import type { TaskNode } from "../src/graph/types.js";
import { MAX_LAMBDA_SECONDS } from "../src/compile/asl/task.js";
import { type LambdaDefaults, type StepFunctionGroup, stepFunctions as groupsOf, tasksOf as tasksIn } from "../src/compile/sizing.js";

export { loadPipelineSources, type PipelineFileEntry, type PipelineSource } from "../src/api/pipelines.js";

export const LAMBDA_MAX_TIMEOUT = MAX_LAMBDA_SECONDS;
export type { LambdaDefaults, StepFunctionGroup };

/** The step Lambdas of a pipeline by placeholder: sizes and the steps each runs (shared with the emulator: src/compile/sizing.ts). */
export function stepFunctions(built: BuiltPipeline, defaults: LambdaDefaults = {}): Record<string, StepFunctionGroup> {
  return groupsOf(built.graph, defaults);
}

/** Function and shell steps of a pipeline, including those in branches, maps and onFailure pipelines. */
export function tasksOf(built: BuiltPipeline): TaskNode[] {
  return tasksIn(built.graph);
}
