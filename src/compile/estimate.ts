import type { MapNodeGraph, PipelineGraph } from "../graph/types.js";
import { childPipelines } from "../graph/validate.js";
import type { Problem } from "../sdk/errors.js";
import { EXECUTION, ITERATION, RUN, add, largestFitting, mapCost, pipelineCost, type Sizing } from "./costs.js";
import { inlineMapBounds } from "./guard.js";
import { MAX_HISTORY_EVENTS } from "./history.js";

export { MAX_HISTORY_EVENTS } from "./history.js";

/** Cost of one successful run, mirroring the states the compiler writes. */
export interface Estimate {
  /** State transitions (what Standard workflows are billed by) of one successful run: each Map at its expected size (else 1 item), a Conditional's costliest branch, no retries. */
  transitionsPerRun: number;
  /** Execution-history events of that run in the parent execution (quota 25,000; Distributed Map children have their own histories). */
  historyEventsPerRun: number;
  /** Transitions per step (nested steps included), keyed by definition path. */
  perNode: Record<string, number>;
  /** Per Map, keyed by definition path. */
  maps: Record<string, MapEstimate>;
}

export interface MapEstimate {
  distributed: boolean;
  /** Items assumed above: the caller's expected size, else 1. */
  assumedItems: number;
  transitionsPerIteration: number;
  /** History events one iteration adds (to the parent execution, or to its child execution when distributed). */
  eventsPerIteration: number;
  /** Inline Maps: most items before the execution history would exceed 25,000 events (other Maps at their assumed sizes). */
  maxInlineMapItems?: number;
  /**
   * Inline Maps: the compiled guard's bound — more items than this can never fit the history
   * (every other Map empty, every Conditional on its cheapest branch), so a Standard execution
   * refuses them at the Map's start and a local run warns (see guard.ts).
   */
  guardItems?: number;
}

/** The estimate's sizing: expected Map sizes (else 1 item), a Conditional's costliest branch by transitions. */
function assumed(expected: Record<string, number>): Sizing {
  return {
    items: (map) => expected[map.path] ?? 1,
    branch: (_node, costs) => costs.reduce((a, c) => (c.t > a.t ? c : a)),
  };
}

/**
 * Estimates a run's cost and, per inline Map, the largest size that keeps the execution history
 * under 25,000 events. `expected` gives known Map sizes by definition path; a size above a Map's
 * limit is reported as a problem naming the Map.
 */
export function estimate(root: PipelineGraph, expected: Record<string, number> = {}): { estimate: Estimate; problems: Problem[] } {
  const problems: Problem[] = [];
  const sizing = assumed(expected);
  const perNode: Record<string, number> = {};
  const total = add(RUN, pipelineCost(root, sizing, perNode));
  const maps: Record<string, MapEstimate> = {};
  const found = new Set<string>();
  const guards = inlineMapBounds(root);

  // `history`: events of the execution holding this pipeline's events, at the assumed sizes;
  // `mult`: how many times this pipeline runs in that execution (enclosing Maps' sizes).
  const visit = (p: PipelineGraph, history: number, mult: number) => {
    for (const node of p.steps) {
      if (node.kind === "map") {
        found.add(node.path);
        const m = mapEstimate(node, sizing, history, mult);
        const guard = guards[node.path];
        maps[node.path] = guard === undefined ? m : { ...m, guardItems: guard };
        const size = expected[node.path];
        if (m.maxInlineMapItems !== undefined && size !== undefined && size > m.maxInlineMapItems) {
          problems.push({ path: node.path, code: "map-too-large", message: `an inline Map of ${size} items exceeds its limit of ${m.maxInlineMapItems} `
            + `(about ${m.eventsPerIteration} history events per item, quota ${MAX_HISTORY_EVENTS} per execution): use distributed: true` });
        }
        if (node.distributed) visit(node.branch, add(EXECUTION, pipelineCost(node.branch, sizing)).e, 1);
        else visit(node.branch, history, mult * sizing.items(node));
        if (node.onFailure) visit(node.onFailure, history, mult);
      } else for (const child of childPipelines(node)) visit(child, history, mult);
    }
  };
  visit(root, total.e, 1);
  for (const path of Object.keys(expected).sort()) {
    if (!found.has(path)) problems.push({ path, code: "unknown-map", message: `expectedMapItems names "${path}", which is not a Map` });
  }
  return { estimate: { transitionsPerRun: total.t, historyEventsPerRun: total.e, perNode, maps }, problems };
}

/**
 * The largest size keeping the history under the quota: the history is linear in this Map's own
 * cost (times the sizes of the Maps around it). Conservative when the Map sits in a Conditional
 * branch other than the costliest one (its events are added on top of that branch's).
 */
function mapEstimate(node: MapNodeGraph, sizing: Sizing, history: number, mult: number): MapEstimate {
  const iteration = add(pipelineCost(node.branch, sizing), ITERATION);
  const assumedItems = sizing.items(node);
  const base: MapEstimate = {
    distributed: node.distributed,
    assumedItems,
    transitionsPerIteration: iteration.t,
    eventsPerIteration: iteration.e,
  };
  if (node.distributed) return base;
  const without = history - mult * mapCost(node, assumedItems, iteration).e;
  return { ...base, maxInlineMapItems: largestFitting((n) => without + mult * mapCost(node, n, iteration).e) };
}
