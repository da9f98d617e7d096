import { locate } from "../graph/paths.js";
import type { MapNodeGraph, NodeGraph, PipelineGraph, RootGraph } from "../graph/types.js";
import type { JsonValue } from "../sdk/types.js";
import type { RunLog, StepLog } from "../sdk/runlog.js";

/**
 * What a run log says about each node of a pipeline's definition: the status to colour it with and,
 * for steps inside a Map, counts over the iterations (a 1,000-item Map is one box, not 1,000).
 * Pure (no DOM, no Node APIs): the CLI's SVG and the web UI share it.
 */

/** PENDING: not started yet (run still going); NOT_RUN: the run ended without reaching it (untaken branch, after a failure). */
export type NodeStatus = "SUCCESS" | "FAIL" | "RUNNING" | "PENDING" | "NOT_RUN";

export interface IterationCounts {
  succeeded: number;
  failed: number;
  running: number;
  /** Iterations of the enclosing Map(s), when known (recorded when the Map ends, else resolved from the run's parameters). */
  total?: number;
}

export interface NodeState {
  status: NodeStatus;
  /** Step paths recorded for this node (one, or one per Map iteration). */
  stepPaths: string[];
  /** Map body nodes and Map nodes: counts over iterations. */
  iterations?: IterationCounts;
}

/** Definition path → state, for every node of the graph. */
export type RunState = Map<string, NodeState>;

/** The step log entries of a run grouped by the definition path of their node (unknown paths are left out). */
export function stepsByNode(graph: RootGraph, log: RunLog): Map<string, [string, StepLog][]> {
  const out = new Map<string, [string, StepLog][]>();
  for (const [stepPath, step] of Object.entries(log.steps)) {
    const found = locate(graph, stepPath);
    if (!found) continue;
    const list = out.get(found.definitionPath) ?? out.set(found.definitionPath, []).get(found.definitionPath)!;
    list.push([stepPath, step]);
  }
  return out;
}

/** The run's state of each node. Without a run log every node is PENDING. */
export function runState(graph: RootGraph, log?: RunLog): RunState {
  const state: RunState = new Map();
  const byNode = log ? stepsByNode(graph, log) : new Map<string, [string, StepLog][]>();
  const ended = log !== undefined && log.status !== "RUNNING";
  const totals = log ? mapTotals(graph, log, byNode) : new Map<string, number>();
  const maps: MapNodeGraph[] = [];
  const visit = (nodes: NodeGraph[], mapsAbove: MapNodeGraph[]): void => {
    for (const node of nodes) {
      if (node.kind === "map") maps.push(node);
      const entries = byNode.get(node.path) ?? [];
      const inMap = mapsAbove.length > 0;
      state.set(node.path, nodeState(entries, inMap ? totalOf(mapsAbove, totals) : undefined, inMap, ended));
      const below = node.kind === "map" ? [...mapsAbove, node] : mapsAbove;
      if (node.kind === "parallel" || node.kind === "conditional") for (const b of Object.values(node.branches)) visit(b.steps, below);
      if (node.kind === "conditional" && node.default) visit(node.default.steps, below);
      if (node.kind === "map") visit(node.branch.steps, below);
      if (node.onFailure) visit(node.onFailure.steps, below);
    }
  };
  visit(graph.steps, []);
  // A Map's own box shows how many of its iterations are through: those whose last body step ended.
  for (const node of maps) {
    const s = state.get(node.path)!;
    const path = node.path;
    const last = node.branch.steps.at(-1);
    const body = last ? state.get(last.path)?.iterations : undefined;
    const total = totals.get(path);
    const failedInside = node.branch.steps.reduce((n, step) => n + (state.get(step.path)?.iterations?.failed ?? 0), 0);
    const running = node.branch.steps.reduce((n, step) => n + (state.get(step.path)?.iterations?.running ?? 0), 0);
    s.iterations = { succeeded: body?.succeeded ?? 0, failed: failedInside, running, ...(total !== undefined ? { total } : {}) };
    if (s.status === "PENDING" && (s.iterations.succeeded || s.iterations.failed || running)) s.status = "RUNNING";
  }
  if (log?.status === "RUNNING") markRunning(graph, state);
  return state;
}

/**
 * A step's record is written when it ends: while a run goes, the step being worked on shows as the
 * first unfinished one of each pipeline that has been entered (the root; each branch of a running
 * Parallel; the taken branch of a running Conditional). A failed step without onFailure in a running
 * run is being retried (`runnable retry`).
 */
function markRunning(graph: RootGraph, state: RunState): void {
  const walkPipeline = (p: PipelineGraph): void => {
    for (const node of p.steps) {
      const s = state.get(node.path)!;
      if (s.status === "SUCCESS") continue;
      if (s.status === "FAIL" && node.onFailure) return walkPipeline(node.onFailure);
      if (s.status === "PENDING" || s.status === "FAIL") s.status = "RUNNING";
      if (node.kind === "parallel") for (const b of Object.values(node.branches)) walkPipeline(b);
      if (node.kind === "conditional") {
        const branches = [...Object.values(node.branches), ...(node.default ? [node.default] : [])];
        const taken = branches.find((b) => b.steps.some((n) => (state.get(n.path)?.stepPaths.length ?? 0) > 0));
        if (taken) walkPipeline(taken);
      }
      return;
    }
  };
  walkPipeline(graph);
}

function totalOf(maps: MapNodeGraph[], totals: Map<string, number>): number | undefined {
  let total = 1;
  for (const m of maps) {
    const t = totals.get(m.path);
    if (t === undefined) return undefined;
    total *= t;
  }
  return total;
}

function nodeState(entries: [string, StepLog][], total: number | undefined, inMap: boolean, ended: boolean): NodeState {
  const stepPaths = entries.map(([p]) => p);
  if (!inMap) {
    const step = entries[0]?.[1];
    return { status: step ? step.status : ended ? "NOT_RUN" : "PENDING", stepPaths };
  }
  const counts: IterationCounts = { succeeded: 0, failed: 0, running: 0, ...(total !== undefined ? { total } : {}) };
  for (const [, step] of entries) {
    if (step.status === "SUCCESS") counts.succeeded++;
    else if (step.status === "FAIL") counts.failed++;
    else counts.running++;
  }
  let status: NodeStatus;
  if (counts.running > 0) status = "RUNNING";
  else if (counts.failed > 0) status = "FAIL";
  else if (counts.succeeded > 0 && (ended || (total !== undefined && counts.succeeded >= total))) status = "SUCCESS";
  else if (counts.succeeded > 0) status = "RUNNING";
  else status = ended ? "NOT_RUN" : "PENDING";
  return { status, stepPaths, iterations: counts };
}

/**
 * Iterations of each Map (by definition path; nested Maps: per enclosing iteration, the first
 * known). Recorded on the Map's step log when it ends; while it runs, the length of the list it
 * iterates on when the run log shows that list (an initial parameter or an earlier step's return).
 */
function mapTotals(graph: RootGraph, log: RunLog, byNode: Map<string, [string, StepLog][]>): Map<string, number> {
  const totals = new Map<string, number>();
  const known = latestValues(log);
  const visit = (nodes: NodeGraph[]): void => {
    for (const node of nodes) {
      if (node.kind === "map") {
        const recorded = byNode.get(node.path)?.map(([, s]) => s.attempts.at(-1)?.iterations).find((n) => n !== undefined);
        const list = known.get(node.iterateOn);
        const total = recorded ?? (Array.isArray(list) ? list.length : undefined);
        if (total !== undefined) totals.set(node.path, total);
        visit(node.branch.steps);
      }
      if (node.kind === "parallel" || node.kind === "conditional") for (const b of Object.values(node.branches)) visit(b.steps);
      if (node.kind === "conditional" && node.default) visit(node.default.steps);
      if (node.onFailure) visit(node.onFailure.steps);
    }
  };
  visit(graph.steps);
  return totals;
}

/** Parameter values as the run log shows them: initial parameters, then each step's returns in run order. */
function latestValues(log: RunLog): Map<string, JsonValue> {
  const values = new Map<string, JsonValue>(Object.entries(log.parameters));
  for (const step of Object.values(log.steps)) {
    const last = step.attempts.at(-1);
    if (last?.status === "SUCCESS") for (const [k, v] of Object.entries(last.outputParameters)) values.set(k, v);
  }
  return values;
}

/** "812/1000 ✓ 3 ✗" (total unknown: "812 ✓ 3 ✗"); running iterations as "· 5 running". */
export function iterationText(c: IterationCounts): string {
  const head = c.total !== undefined ? `${c.succeeded}/${c.total} ✓` : `${c.succeeded} ✓`;
  return `${head}${c.failed ? ` ${c.failed} ✗` : ""}${c.running ? ` · ${c.running} running` : ""}`;
}
