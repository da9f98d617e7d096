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
    case "function": case "shell": return node.compute === "batch" ? BATCH : TASK;
    case "stub": case "success": case "fail": return TASK;
    case "parallel": return add(COMPOSITE_STATE, ...Object.values(node.branches).map(sub), TASK);
    case "conditional": {
      const branches = [...Object.values(node.branches), ...(node.default ? [node.default] : [])].map(sub);
      const worst = branches.reduce((a, c) => (c.t > a.t ? c : a), { t: 0, e: 0 });
      return add(TASK, Object.keys(node.branches).length ? PASS_OR_CHOICE : { t: 0, e: 0 }, worst, TASK);
    }
    case "map": {
      const n = items(node.path);
      const iteration = add(sub(node.branch), { t: 0, e: ITERATION_EVENTS });
      const fixed = add(TASK, PASS_OR_CHOICE, TASK);
      if (n === 0) return fixed;
      if (node.distributed) return add(fixed, { t: 1, e: 6 }, { t: iteration.t * n, e: 0 });
      const chunks = Math.ceil(n / MAP_CHUNK);
      const perChunk = add({ t: 0, e: ITERATION_EVENTS }, PASS_OR_CHOICE, PASS_OR_CHOICE, COMPOSITE_STATE);
      return add(fixed, PASS_OR_CHOICE, COMPOSITE_STATE, times(perChunk, chunks), times(iteration, n));
    }
    default: return assertNever(node);
  }
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

  // historyCost: the events of the execution whose history holds this pipeline's events.
  const visit = (p: PipelineGraph, historyCost: (items: Items) => number) => {
    for (const node of p.steps) {
      if (node.kind === "map") {
        found.add(node.path);
        maps[node.path] = mapEstimate(node, items, historyCost);
        const m = maps[node.path]!;
        const size = expected[node.path];
        if (m.maxInlineMapItems !== undefined && size !== undefined && size > m.maxInlineMapItems) {
          problems.push({ path: node.path, code: "map-too-large", message: `an inline Map of ${size} items exceeds its limit of ${m.maxInlineMapItems} `
            + `(about ${m.eventsPerIteration} history events per item, quota ${MAX_HISTORY_EVENTS} per execution): use distributed: true` });
        }
        const childHistory = node.distributed ? (it: Items) => CHILD_EXECUTION_EVENTS + pipelineCost(node.branch, it).e : historyCost;
        visit(node.branch, childHistory);
        if (node.onFailure) visit(node.onFailure, historyCost);
      } else for (const child of childPipelines(node)) visit(child, historyCost);
    }
  };
  visit(root, (it) => RUN.e + pipelineCost(root, it).e);
  for (const path of Object.keys(expected).sort()) {
    if (!found.has(path)) problems.push({ path, code: "unknown-map", message: `expectedMapItems names "${path}", which is not a Map` });
  }
  return { estimate: { transitionsPerRun: total.t, historyEventsPerRun: total.e, perNode, maps }, problems };
}

function mapEstimate(node: MapNodeGraph, items: Items, historyCost: (items: Items) => number): MapEstimate {
  const iteration = pipelineCost(node.branch, items);
  const base: MapEstimate = {
    distributed: node.distributed,
    assumedItems: items(node.path),
    transitionsPerIteration: iteration.t,
    eventsPerIteration: iteration.e + ITERATION_EVENTS,
  };
  if (node.distributed) return base;
  const fits = (n: number) => historyCost((path) => (path === node.path ? n : items(path))) <= MAX_HISTORY_EVENTS;
  let lo = 0;
  let hi = MAX_INLINE_ITEMS;
  if (!fits(0)) return { ...base, maxInlineMapItems: 0 };
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  return { ...base, maxInlineMapItems: lo };
}
