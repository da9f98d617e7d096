import { assertNever, type MapNodeGraph, type NodeGraph, type PipelineGraph } from "../graph/types.js";
import { childPipelines } from "../graph/validate.js";
import type { Problem } from "../sdk/errors.js";
import { MAP_CHUNK, MAX_INLINE_ITEMS } from "./asl/map.js";

/** Step Functions' quota on one Standard execution's history. */
export const MAX_HISTORY_EVENTS = 25_000;

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
}

interface Cost { t: number; e: number }
type Items = (path: string) => number;

const TASK: Cost = { t: 1, e: 5 }; // Entered, Scheduled, Started, Succeeded, Exited
const BATCH: Cost = { t: 1, e: 6 }; // + Submitted
const PASS_OR_CHOICE: Cost = { t: 1, e: 2 };
const COMPOSITE_STATE: Cost = { t: 1, e: 4 }; // Parallel/Map: Entered, Started, Succeeded, Exited
const ITERATION_EVENTS = 2; // MapIterationStarted/Succeeded

function add(...cs: Cost[]): Cost {
  return cs.reduce((a, c) => ({ t: a.t + c.t, e: a.e + c.e }), { t: 0, e: 0 });
}
function times(c: Cost, n: number): Cost {
  return { t: c.t * n, e: c.e * n };
}

function pipelineCost(p: PipelineGraph, items: Items, record?: Record<string, number>): Cost {
  return add(...p.steps.map((n) => nodeCost(n, items, record)));
}

function nodeCost(node: NodeGraph, items: Items, record?: Record<string, number>): Cost {
  const c = ownCost(node, items, record);
  if (record) record[node.path] = c.t;
  return c;
}

function ownCost(node: NodeGraph, items: Items, record?: Record<string, number>): Cost {
  const sub = (p: PipelineGraph) => pipelineCost(p, items, record);
  switch (node.kind) {
    case "function": case "shell": case "notebook": return node.compute === "batch" ? BATCH : TASK;
    case "stub": case "success": case "fail": return TASK;
    case "parallel": return add(COMPOSITE_STATE, ...Object.values(node.branches).map(sub), TASK);
    case "conditional": {
      const branches = [...Object.values(node.branches), ...(node.default ? [node.default] : [])].map(sub);
      const worst = branches.reduce((a, c) => (c.t > a.t ? c : a), { t: 0, e: 0 });
      return add(TASK, Object.keys(node.branches).length ? PASS_OR_CHOICE : { t: 0, e: 0 }, worst, TASK);
    }
    case "map": return mapCost(node, items(node.path), add(sub(node.branch), { t: 0, e: ITERATION_EVENTS }));
    default: return assertNever(node);
  }
}

/** A Map of `n` items whose iterations each cost `iteration` (see map.ts for the states). */
function mapCost(node: MapNodeGraph, n: number, iteration: Cost): Cost {
  const fixed = add(TASK, PASS_OR_CHOICE, TASK);
  if (n === 0) return fixed;
  if (node.distributed) return add(fixed, { t: 1, e: 6 }, { t: iteration.t * n, e: 0 });
  const chunks = Math.ceil(n / MAP_CHUNK);
  const perChunk = add({ t: 0, e: ITERATION_EVENTS }, PASS_OR_CHOICE, PASS_OR_CHOICE, COMPOSITE_STATE);
  return add(fixed, PASS_OR_CHOICE, COMPOSITE_STATE, times(perChunk, chunks), times(iteration, n));
}

/** Run-level states: start + finalise tasks, ExecutionStarted/Succeeded. */
const RUN: Cost = { t: 2, e: 12 };
/** A Distributed Map child execution: ExecutionStarted/Succeeded around one iteration. */
const CHILD_EXECUTION_EVENTS = 2;

/**
 * Estimates a run's cost and, per inline Map, the largest size that keeps the execution history
 * under 25,000 events. `expected` gives known Map sizes by definition path; a size above a Map's
 * limit is reported as a problem naming the Map.
 */
export function estimate(root: PipelineGraph, expected: Record<string, number> = {}): { estimate: Estimate; problems: Problem[] } {
  const problems: Problem[] = [];
  const items: Items = (path) => expected[path] ?? 1;
  const perNode: Record<string, number> = {};
  const total = add(RUN, pipelineCost(root, items, perNode));
  const maps: Record<string, MapEstimate> = {};
  const found = new Set<string>();

  // `history`: events of the execution holding this pipeline's events, at the assumed sizes;
  // `mult`: how many times this pipeline runs in that execution (enclosing Maps' sizes).
  const visit = (p: PipelineGraph, history: number, mult: number) => {
    for (const node of p.steps) {
      if (node.kind === "map") {
        found.add(node.path);
        const m = mapEstimate(node, items, history, mult);
        maps[node.path] = m;
        const size = expected[node.path];
        if (m.maxInlineMapItems !== undefined && size !== undefined && size > m.maxInlineMapItems) {
          problems.push({ path: node.path, code: "map-too-large", message: `an inline Map of ${size} items exceeds its limit of ${m.maxInlineMapItems} `
            + `(about ${m.eventsPerIteration} history events per item, quota ${MAX_HISTORY_EVENTS} per execution): use distributed: true` });
        }
        if (node.distributed) visit(node.branch, CHILD_EXECUTION_EVENTS + pipelineCost(node.branch, items).e, 1);
        else visit(node.branch, history, mult * items(node.path));
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
function mapEstimate(node: MapNodeGraph, items: Items, history: number, mult: number): MapEstimate {
  const iteration = add(pipelineCost(node.branch, items), { t: 0, e: ITERATION_EVENTS });
  const assumed = items(node.path);
  const base: MapEstimate = {
    distributed: node.distributed,
    assumedItems: assumed,
    transitionsPerIteration: iteration.t,
    eventsPerIteration: iteration.e,
  };
  if (node.distributed) return base;
  const without = history - mult * mapCost(node, assumed, iteration).e;
  const fits = (n: number) => without + mult * mapCost(node, n, iteration).e <= MAX_HISTORY_EVENTS;
  if (!fits(0)) return { ...base, maxInlineMapItems: 0 };
  let lo = 0;
  let hi = MAX_INLINE_ITEMS;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  return { ...base, maxInlineMapItems: lo };
}
