import { assertNever, type ConditionalNode, type MapNodeGraph, type NodeGraph, type PipelineGraph } from "../graph/types.js";
import { MAP_CHUNK, MAX_INLINE_ITEMS } from "./asl/map.js";
import { EXECUTION_HISTORY, ITERATION_HISTORY, MAX_HISTORY_EVENTS, successEvents, type StateKind } from "./history.js";

/**
 * What each step costs when it succeeds, in state transitions (what Standard workflows bill) and
 * execution-history events (what the 25,000 quota counts), mirroring the states the compiler writes
 * (see asl/*.ts) and priced by the event model of history.ts.
 */
export interface Cost {
  /** State transitions: states entered. */
  t: number;
  /** History events. */
  e: number;
}

export const ZERO: Cost = { t: 0, e: 0 };

function state(kind: StateKind): Cost {
  return { t: 1, e: successEvents(kind) };
}

/** A handler call (`lambda:invoke`): every step's own Task and the bookkeeping ones (start, end, finalise). */
export const TASK = state("Task");
/** A step on Batch (`batch:submitJob.sync`). */
export const BATCH = state("SyncTask");
export const CHOICE = state("Choice");
export const PASS = state("Pass");
export const PARALLEL = state("Parallel");
export const MAP = state("Map");
export const DISTRIBUTED_MAP = state("DistributedMap");
/** What an inline Map iteration adds around its states. */
export const ITERATION: Cost = { t: 0, e: ITERATION_HISTORY.started.length + ITERATION_HISTORY.succeeded.length };
/** ExecutionStarted + ExecutionSucceeded (a Distributed Map child execution has these and its iteration's states). */
export const EXECUTION: Cost = { t: 0, e: EXECUTION_HISTORY.started.length + EXECUTION_HISTORY.succeeded.length };
/** Run-level states of the parent execution: the start and finalise Tasks. */
export const RUN: Cost = add(EXECUTION, TASK, TASK);

export function add(...cs: Cost[]): Cost {
  return cs.reduce((a, c) => ({ t: a.t + c.t, e: a.e + c.e }), ZERO);
}

export function times(c: Cost, n: number): Cost {
  return { t: c.t * n, e: c.e * n };
}

/**
 * How a walk sizes what only a run knows: a Map's item count, and which Conditional branch runs
 * (given the cost of each, in key order then default).
 */
export interface Sizing {
  items(map: MapNodeGraph): number;
  branch(node: ConditionalNode, costs: Cost[]): Cost;
}

/** The success cost of a pipeline (nested steps included); `record` gets each step's transitions by path. */
export function pipelineCost(p: PipelineGraph, sizing: Sizing, record?: Record<string, number>): Cost {
  return add(...p.steps.map((n) => {
    const c = nodeCost(n, sizing, record);
    if (record) record[n.path] = c.t;
    return c;
  }));
}

/** One step's success cost, its nested pipelines included (not its onFailure pipeline). */
export function nodeCost(node: NodeGraph, sizing: Sizing, record?: Record<string, number>): Cost {
  const sub = (p: PipelineGraph) => pipelineCost(p, sizing, record);
  switch (node.kind) {
    case "function": case "shell": case "notebook": return node.compute === "batch" ? BATCH : TASK;
    case "stub": case "success": case "fail": return TASK;
    case "parallel": return add(PARALLEL, ...Object.values(node.branches).map(sub), TASK);
    case "conditional": {
      const branches = [...Object.values(node.branches), ...(node.default ? [node.default] : [])].map(sub);
      return add(conditionalOpening(node), branches.length ? sizing.branch(node, branches) : ZERO, TASK);
    }
    case "map": return mapCost(node, sizing.items(node), add(sub(node.branch), ITERATION));
    default: return assertNever(node);
  }
}

/** A Conditional's `@start` Task and, when it has keyed branches, its `@choice`. */
export function conditionalOpening(node: ConditionalNode): Cost {
  return add(TASK, Object.keys(node.branches).length ? CHOICE : ZERO);
}

/**
 * A Map of `n` items whose iterations each cost `iteration` (ITERATION included), as map.ts writes
 * it: `@start` Task, `@empty` Choice, `@end` Task; inline: `@chunks` Pass, the outer Map, per chunk of
 * MAP_CHUNK items an iteration with `@chunk` Choice, `@range`/`@tail` Pass and the inner Map;
 * distributed: the Distributed Map, whose iterations' events are in child executions.
 */
export function mapCost(node: MapNodeGraph, n: number, iteration: Cost): Cost {
  const fixed = add(TASK, CHOICE, TASK);
  if (n === 0) return fixed;
  if (node.distributed) return add(fixed, DISTRIBUTED_MAP, { t: iteration.t * n, e: 0 });
  const perChunk = add(ITERATION, CHOICE, PASS, MAP);
  return add(fixed, PASS, MAP, times(perChunk, Math.ceil(n / MAP_CHUNK)), times(iteration, n));
}

/** The largest n ≤ MAX_INLINE_ITEMS whose history `events(n)` (growing with n) stays within the quota; 0 when none does. */
export function largestFitting(events: (n: number) => number): number {
  if (events(0) > MAX_HISTORY_EVENTS) return 0;
  let lo = 0;
  let hi = MAX_INLINE_ITEMS;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (events(mid) <= MAX_HISTORY_EVENTS) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
