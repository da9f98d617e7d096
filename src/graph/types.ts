import type { ScheduleOptions } from "../sdk/types.js";
import type { Compute, ReturnKind } from "../sdk/types.js";
import type { ParametersInfo } from "./parameters.js";
import type { ReadsSpec } from "./reads.js";

export type { ParametersInfo, ParameterSpec } from "./parameters.js";

export type { ReadsSpec } from "./reads.js";

/**
 * The validated, immutable, JSON-serialisable form of a Pipeline. Functions are not part of it:
 * they are found again by definition path in the imported pipeline module.
 *
 * Paths: a node's `path` is its *definition path* — names joined with "."; Parallel and
 * Conditional branches add their key, Map iterations add "*", onFailure pipelines add "onFailure".
 * A *step path* (run log key) is a definition path with each "*" replaced by the iteration index.
 */
export interface PipelineGraph {
  /** Definition path of the pipeline: "" for the root, else e.g. "train.rf" or "fanout.*". */
  path: string;
  steps: NodeGraph[];
}

export interface ReturnSpec {
  name: string;
  kind: ReturnKind;
}

export interface CatalogSpec {
  get: string[];
  put: string[];
  storeCopy: boolean;
}

export interface RetrySpec {
  /** Total attempts including the first. */
  attempts: number;
  intervalSeconds: number;
  backoffRate: number;
  maxDelaySeconds?: number;
}

interface NodeBase {
  name: string;
  /** Definition path, e.g. "train_models.random_forest.train_rf" or "fanout.*.score". */
  path: string;
  onFailure?: PipelineGraph;
}

interface TaskBase extends NodeBase {
  returns: ReturnSpec[];
  catalog?: CatalogSpec;
  retry: RetrySpec;
  timeoutSeconds?: number;
  compute: Compute;
  memoryMiB?: number;
  vcpu?: number;
  ephemeralStorageMiB?: number;
  architecture?: "arm64" | "x86_64";
  /** Secrets given to the step (its own and its pipelines'), by name; absent when none. */
  secrets?: SecretGraph[];
}

/** A secret of a task: the parameter name it is given as, and where a deployed step reads it. */
export interface SecretGraph {
  name: string;
  from: "secretsmanager" | "ssm";
  id: string;
}

export interface FunctionNode extends TaskBase {
  kind: "function";
  /**
   * The parameters its function reads (FunctionTask `reads`, else inferred from the function's
   * source); absent when they cannot be told. Not part of the dagHash: it describes the code, not
   * the graph's shape, and a bundler's rewrite of the source must not make a deployed run's graph differ.
   */
  reads?: ReadsSpec;
}

export interface ShellNode extends TaskBase {
  kind: "shell";
  command: string;
}

export interface NotebookNode extends TaskBase {
  kind: "notebook";
  /** The notebook path as written in the pipeline (relative to the file that defines the step). */
  notebook: string;
  /** Jupyter kernel name. */
  kernel: string;
}

export interface StubNode extends NodeBase {
  kind: "stub";
  returns: ReturnSpec[];
}

export interface ParallelNode extends NodeBase {
  kind: "parallel";
  branches: Record<string, PipelineGraph>;
}

export interface MapNodeGraph extends NodeBase {
  kind: "map";
  iterateOn: string;
  iterateAs: string;
  branch: PipelineGraph;
  hasReducer: boolean;
  maxConcurrency: number;
  distributed: boolean;
  /** Distributed only: failed iterations tolerated, as a percentage of all / a count (either exceeded fails the Map). */
  toleratedFailurePercentage?: number;
  toleratedFailureCount?: number;
}

export interface ConditionalNode extends NodeBase {
  kind: "conditional";
  parameter: string;
  branches: Record<string, PipelineGraph>;
  default?: PipelineGraph;
}

export interface SuccessNode extends NodeBase {
  kind: "success";
}

export interface FailNode extends NodeBase {
  kind: "fail";
}

export type NodeGraph =
  | FunctionNode | ShellNode | NotebookNode | StubNode | ParallelNode | MapNodeGraph | ConditionalNode | SuccessNode | FailNode;

export type TaskNode = FunctionNode | ShellNode | NotebookNode;

/** The root of a built pipeline. */
export interface RootGraph extends PipelineGraph {
  /** Graph format version. */
  version: 1;
  name: string;
  /** sha256 (hex) of the canonical JSON of the graph without this field, `parameters`, `schedule` and FunctionNode `reads`. */
  dagHash: string;
  /**
   * Present when the Pipeline has a parameters schema: what its JSON Schema tells (names, types,
   * defaults). Validation itself needs the schema, i.e. the pipeline module.
   */
  parameters?: ParametersInfo;
  /** The Pipeline's `schedule` (checked): deployed as an EventBridge Scheduler schedule. Not hashed. */
  schedule?: ScheduleOptions;
}

export function assertNever(x: never): never {
  throw new Error(`unexpected value ${JSON.stringify(x)}`);
}
