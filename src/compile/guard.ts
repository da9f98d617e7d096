import { assertNever, type MapNodeGraph, type NodeGraph, type PipelineGraph } from "../graph/types.js";
import { BATCH, EXECUTION, ITERATION, PARALLEL, RUN, TASK, conditionalOpening, largestFitting, mapCost } from "./costs.js";

/**
 * The inline-Map guard: the most items an inline Map can have before its execution's history
 * certainly passes Step Functions' 25,000-event quota. A Standard execution refuses more at the
 * Map's start (a Choice in the compiled definition, see asl/map.ts) instead of failing with
 * States.Runtime after thousands of paid iterations; a local run warns with the same text.
 *
 * The bound must never refuse a run that would fit, so it counts the fewest events a run can record
 * while this Map completes all its items: every other Map empty, every Conditional on its cheapest
 * branch, no retries, steps after the Map free whenever a failure there could be recovered by an
 * onFailure pipeline. Runs it lets through can still reach the quota (the emulator counts and
 * fails them as AWS does); for a Map with nothing costly around it the bound is exact.
 */

/** What a guarded Map's failure says, in every mode (raw numbers: ASL's States.Format cannot group digits). */
export function mapTooLargeMessage(path: string, items: number | string, bound: number): string {
  return `Map "${path}" has ${items} items; inline Maps fit about ${bound} here; set distributed: true`;
}

/** Bounds of every inline Map, by definition path (Distributed Maps have none: their items run in child executions). */
export function inlineMapBounds(root: PipelineGraph): Record<string, number> {
  const out: Record<string, number> = {};
  const visit = (p: PipelineGraph, chain: Frame[]) => {
    p.steps.forEach((node, index) => {
      const here = (via: Via): Frame[] => [...chain, { pipeline: p, index, node, via }];
      if (node.kind === "map" && !node.distributed) out[node.path] = bound([...chain, { pipeline: p, index, node, via: "target" }], node);
      if (node.kind === "map") visit(node.branch, here("branch"));
      if (node.kind === "parallel" || node.kind === "conditional") for (const b of Object.values(node.branches)) visit(b, here("branch"));
      if (node.kind === "conditional" && node.default) visit(node.default, here("branch"));
      if (node.onFailure) visit(node.onFailure, here("onFailure"));
    });
  };
  visit(root, []);
  return out;
}

type Via = "branch" | "onFailure" | "target";

/** One level on the way from the root to the guarded Map: `node` is `pipeline.steps[index]`, entered through `via`. */
interface Frame {
  pipeline: PipelineGraph;
  index: number;
  node: NodeGraph;
  via: Via;
}

function bound(chain: Frame[], target: MapNodeGraph): number {
  // Inside a Distributed Map, the history is the child execution's: count from there.
  let start = 0;
  chain.forEach((f, i) => {
    if (f.node.kind === "map" && f.node.distributed && f.via === "branch") start = i + 1;
  });
  const base = start === 0 ? RUN.e : EXECUTION.e;
  // A frame whose step has an onFailure pipeline (not the one the chain runs in) may take over after a later failure.
  const recovers = chain.map((f) => f.node.onFailure !== undefined && f.via !== "onFailure");
  const recoveryUpTo = (j: number) => recovers.slice(0, j + 1).some(Boolean);
  let around = base;
  for (let j = start; j < chain.length; j++) {
    const f = chain[j]!;
    around += f.pipeline.steps.slice(0, f.index).reduce((sum, s) => sum + fewest(s), 0);
    // After this level's step: a recovered failure there, or the onFailure pipeline the chain runs in, replaces the rest.
    const replaced = f.via === "onFailure" || (j > 0 && recoveryUpTo(j - 1));
    if (!replaced) around += fewestFrom(f.pipeline, f.index + 1);
    if (f.via === "branch" && !recoveryUpTo(j)) around += ownEvents(f.node, chain[j + 1]!.pipeline);
  }
  const iteration = fewestFrom(target.branch, 0) + ITERATION.e;
  return largestFitting((n) => around + mapCost(target, n, { t: 0, e: iteration }).e);
}

/** A composite's own events around the branch the chain runs in (`inner`): one item for a Map, the other branches' fewest for a Parallel. */
function ownEvents(node: NodeGraph, inner: PipelineGraph | undefined): number {
  switch (node.kind) {
    case "map": return node.distributed ? 0 : mapCost(node, 1, ITERATION).e;
    case "parallel": return PARALLEL.e + TASK.e + Object.values(node.branches).filter((b) => b !== inner).reduce((sum, b) => sum + fewestFrom(b, 0), 0);
    case "conditional": return conditionalOpening(node).e + TASK.e;
    default: return 0;
  }
}

/** The fewest events the steps of `p` from `from` on can record in a successful run (a step with onFailure may fail at once and hand over). */
function fewestFrom(p: PipelineGraph, from: number): number {
  let rest = 0;
  for (let k = p.steps.length - 1; k >= from; k--) {
    const step = p.steps[k]!;
    // Success and Fail steps end their pipeline: nothing after them runs.
    const succeeded = fewest(step) + (step.kind === "success" || step.kind === "fail" ? 0 : rest);
    rest = step.onFailure ? Math.min(succeeded, fewestFrom(step.onFailure, 0)) : succeeded;
  }
  return rest;
}

/** The fewest events one step records when it succeeds (Maps empty, a Conditional's cheapest branch). */
function fewest(node: NodeGraph): number {
  switch (node.kind) {
    case "function": case "shell": case "notebook": return node.compute === "batch" ? BATCH.e : TASK.e;
    case "stub": case "success": case "fail": return TASK.e;
    case "parallel": return PARALLEL.e + TASK.e + Object.values(node.branches).reduce((sum, b) => sum + fewestFrom(b, 0), 0);
    case "conditional": {
      const branches = [...Object.values(node.branches), ...(node.default ? [node.default] : [])].map((b) => fewestFrom(b, 0));
      return conditionalOpening(node).e + (branches.length ? Math.min(...branches) : 0) + TASK.e;
    }
    case "map": return mapCost(node, 0, ITERATION).e;
    default: return assertNever(node);
  }
}
