// The package entry of runnable-ts: the public API of the Contract, nothing internal.
import { runPipeline } from "./execute/index.js";
import { setPipelineRunner } from "./sdk/pipeline.js";

export { Pipeline, type PipelineOptions } from "./sdk/pipeline.js";
export { Node } from "./sdk/node.js";
export { FunctionTask, ShellTask, Stub, type FunctionTaskOptions, type ShellTaskOptions, type StubOptions, type TaskOptions } from "./sdk/tasks.js";
export { NotebookTask, type NotebookTaskOptions } from "./sdk/notebook.js";
export { Parallel, MapNode, MapNode as Map, Conditional, type ParallelOptions, type MapOptions, type ConditionalOptions } from "./sdk/composites.js";
export { Success, Fail, type TerminalOptions } from "./sdk/terminals.js";
export { Catalog, type CatalogOptions } from "./sdk/catalog.js";
export { json, object, metric } from "./sdk/returns.js";
export type { JsonValue, Return, ReturnKind, RetryPolicy, Compute, Resources, StepFunction } from "./sdk/types.js";
export type {
  RunLog, RunResult, ExecuteOptions, StepLog, AttemptLog, CatalogEntry, StepError, CodeIdentity, RunStatus, StepStatus, StepType,
} from "./sdk/runlog.js";
export {
  RunnableError, DefinitionError, UsageError, RunExistsError, RunNotFoundError, UnsafePathError, type Problem,
} from "./sdk/errors.js";
export { compile, validateAsl, PLACEHOLDER_NAMES, type CompileOptions, type CompileResult, type AslDefinition } from "./compile/index.js";
export { readRunLog, retryRun, runPipeline, type RunPipelineOptions, type RetryOptions, type ProgressEvent } from "./execute/index.js";

// pipeline.execute() runs through the executor; the SDK itself stays free of fs and AWS imports.
setPipelineRunner(runPipeline);
