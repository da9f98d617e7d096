import type { BatchDefaults, FargateSize } from "../../graph/resources.js";
import type { NodeGraph, PipelineGraph } from "../../graph/types.js";
import type { LambdaDefaults } from "../sizing.js";
import type { Problem } from "../../sdk/errors.js";
import type { StateInfo, StateNamer } from "./names.js";
import type { State, Transition } from "./types.js";

/**
 * Where states are being written and how a failure there is handled.
 *
 * The state input everywhere is a small reference object: `{ runId, x?, i0…i<depth-1>, r? }` —
 * `i<k>` are the enclosing Map indexes (outermost first), `x` the parent execution name inside a
 * Distributed Map's child executions, `r` the last small result (a Map count, a branch key, or a
 * caught error `{ Error, Cause }`). Nothing else ever enters it.
 */
export interface Scope {
  /** State list being filled: the root, a Parallel branch, or a Map's item processor. */
  states: Record<string, State>;
  /**
   * State a failure in this scope goes to, with the ASL error at `$.r` (a Catch target).
   * `null`: no handler in this scope — the failure ends the branch/iteration and surfaces on the
   * enclosing Parallel/Map state (whose Catch records the composite's failure).
   */
  failTo: string | null;
  /** Number of enclosing Maps: the state input holds `i0` … `i<depth-1>`. */
  depth: number;
  /** Path of the execution name: `$$.Execution.Name`, or `$.x` inside a Distributed Map child. */
  execution: string;
  /**
   * Path of the execution's redrive count (`$$.Execution.RedriveCount`), sent as the StepEvent's
   * `redriveCount`; absent inside a Distributed Map's child executions (a redrive of the parent
   * restarts only failed children, whose count is their own — `runnable retry` gives such runs a new
   * execution instead, see src/api/aws.ts).
   */
  redrive?: string;
}

/** Shared state of one compilation. */
export interface CompileContext {
  namer: StateNamer;
  /** Definition paths of steps using a `.sync` integration (they force a Standard workflow). */
  syncSteps: string[];
  /** Quota problems found while compiling (reported together at the end). */
  problems: Problem[];
  /** Placeholder names used (without `${}`). */
  placeholders: Set<string>;
  /** Lambda size of steps that set none (and of the bookkeeping function). */
  lambdaDefaults: LambdaDefaults;
  /** Size of batch steps that set none. */
  batchDefaults: BatchDefaults;
  /** Job definition placeholder → its Fargate size and the steps using it (one job definition per size used). */
  jobDefinitions: Map<string, FargateSize & { steps: string[] }>;
  /** Compiles a pipeline into `scope`; returns the name of its first state. */
  pipeline(p: PipelineGraph, scope: Scope, exit: Transition): string;
  /** Name of the first state a node compiles to (known before it is compiled). */
  first(node: NodeGraph): string;
  /** Inline Maps' guard bounds by definition path (see guard.ts); absent where no history quota applies (Express). */
  mapGuards?: Record<string, number>;
}

/** Claims a state name (collision-checked) and stores the state in its scope. */
export function addState(ctx: CompileContext, scope: Scope, name: string, info: StateInfo, state: State): string {
  scope.states[ctx.namer.claim(name, info)] = state;
  return name;
}

/** The continuation of a node: the next step's first state, or the end of its pipeline. */
export interface NodeExits {
  /** After this node succeeds. */
  next: Transition;
  /** After the containing pipeline ends (where an onFailure recovery or a Success step goes). */
  pipelineEnd: Transition;
}
