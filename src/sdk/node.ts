import type { Pipeline } from "./pipeline.js";

/** Brand used instead of `instanceof` so nodes and pipelines can reference each other without an import cycle. */
export const PIPELINE_BRAND = Symbol.for("runnable-ts.pipeline");

export function isPipeline(value: unknown): value is Pipeline {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[PIPELINE_BRAND] === true;
}

/**
 * Brand of every step. A pipeline file loaded by the CLI or a handler gets its own copy of
 * runnable-ts (the loader imports it in a namespace of its own, and a project may hold two
 * installs), so steps are recognised by brand and dispatched on `kind`, never with `instanceof`.
 */
export const NODE_BRAND = Symbol.for("runnable-ts.node");

export function isNode(value: unknown): value is Node {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[NODE_BRAND] === true;
}

export type NodeKind = "function" | "shell" | "notebook" | "stub" | "parallel" | "map" | "conditional" | "success" | "fail";

/** Common shape of every step. */
export abstract class Node {
  readonly [NODE_BRAND] = true;
  abstract readonly kind: NodeKind;
  /** Step name, unique within its pipeline: `^[A-Za-z][A-Za-z0-9_-]{0,63}$`. */
  readonly name: string;
  /** Pipeline run when this step fails (after its retries); the run's status becomes its outcome. */
  readonly onFailure: Pipeline | undefined;

  protected constructor(name: string, onFailure: Pipeline | undefined) {
    this.name = name;
    this.onFailure = onFailure;
  }

  /** A one-step Pipeline holding this step (handy for Parallel branches). */
  asPipeline(): Pipeline {
    const make = pipelineFactory;
    if (!make) throw new Error("runnable-ts: Pipeline is not loaded");
    return make([this]);
  }
}

let pipelineFactory: ((steps: Node[]) => Pipeline) | undefined;

/** Called once by pipeline.ts so asPipeline() can build a Pipeline without importing it. */
export function setPipelineFactory(make: (steps: Node[]) => Pipeline): void {
  pipelineFactory = make;
}
