// The package entry of runnable-ts: the public API of the Contract, nothing internal.
// Every pipeline file imports it, often in a module namespace of its own (the loader's): it loads the
// SDK and the compiler only; running (execute/, runtime/, store/) is loaded on the first call.
import type * as Execute from "./execute/index.js";
import type { Pipeline } from "./sdk/pipeline.js";
import { setPipelineRunner } from "./sdk/pipeline.js";
import type { RunLog, RunResult } from "./sdk/runlog.js";

export { Pipeline, type PipelineOptions } from "./sdk/pipeline.js";
export type { StandardSchemaV1 } from "./sdk/schema.js";
export { Node } from "./sdk/node.js";
export { FunctionTask, ShellTask, Stub, type FunctionTaskOptions, type ShellTaskOptions, type StubOptions, type TaskOptions } from "./sdk/tasks.js";
export { NotebookTask, type NotebookTaskOptions } from "./sdk/notebook.js";
export { Parallel, MapNode, MapNode as Map, Conditional, type ParallelOptions, type MapOptions, type ConditionalOptions } from "./sdk/composites.js";
export { Success, Fail, type TerminalOptions } from "./sdk/terminals.js";
export { Catalog, type CatalogOptions } from "./sdk/catalog.js";
export { json, object, metric } from "./sdk/returns.js";
export type { JsonValue, Return, ReturnKind, RetryPolicy, Compute, Resources, SecretSpec, SecretStore, StepFunction } from "./sdk/types.js";
export type {
  RunLog, RunResult, RunError, ExecuteOptions, StepLog, AttemptLog, CatalogEntry, StepError, CodeIdentity, RunStatus, StepStatus, StepType,
} from "./sdk/runlog.js";
export {
  RunnableError, DefinitionError, UsageError, ParameterError, RunExistsError, RunNotFoundError, UnsafePathError, type Problem,
} from "./sdk/errors.js";
export { compile, validateAsl, PLACEHOLDER_NAMES, type CompileOptions, type CompileResult, type AslDefinition } from "./compile/index.js";
export type { RunPipelineOptions, RetryOptions, ProgressEvent } from "./execute/index.js";

const executor = (): Promise<typeof Execute> => import("./execute/index.js");

/** Runs a pipeline (what `pipeline.execute()` does), with the options the CLI also passes. Resolves also when the run fails. */
export function runPipeline(pipeline: Pipeline, options?: Execute.RunPipelineOptions): Promise<RunResult> {
  return executor().then((m) => m.runPipeline(pipeline, options));
}

/** Re-runs a failed run: succeeded steps are skipped, failed ones run again with attempts numbered on. */
export function retryRun(runId: string, options?: Execute.RetryOptions): Promise<RunResult> {
  return executor().then((m) => m.retryRun(runId, options));
}

/** The run log of a run under `root` (default ".runnable"), local or emulator. Throws RunNotFoundError. */
export function readRunLog(runId: string, options?: Parameters<typeof Execute.readRunLog>[1]): Promise<RunLog> {
  return executor().then((m) => m.readRunLog(runId, options));
}

// pipeline.execute() runs through the executor; the SDK itself stays free of fs and AWS imports.
setPipelineRunner(runPipeline);
