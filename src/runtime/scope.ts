import { joinPath } from "../graph/build.js";
import type { NodeGraph, PipelineGraph } from "../graph/types.js";
import { ON_FAILURE, type JsonValue } from "../sdk/types.js";
import type { AttemptRecord, RunLogStore } from "../store/types.js";
import { lastOf, settle, settledRecords, type Scope, type StepContext } from "./context.js";
import { itemOf } from "./objects.js";

type View = Map<string, AttemptRecord[]>;

/** Outputs of a step that ended in SUCCESS (its last attempt), else undefined. */
export function outputsOf(view: View, stepPath: string): Record<string, JsonValue> | undefined {
  const last = lastOf(view.get(stepPath));
  return last?.status === "SUCCESS" ? last.outputParameters : undefined;
}

/**
 * Outcome of a (sub)pipeline read from the run log: the outputs of its steps in order, and — when a
 * step failed and has onFailure — that pipeline's outcome replaces the rest. A step that never ran
 * ends the walk (status FAIL: the pipeline did not complete).
 */
export function pipelineOutcome(view: View, p: PipelineGraph, prefix: string): { status: "SUCCESS" | "FAIL"; outputs: Scope } {
  const outputs: Scope = {};
  for (const step of p.steps) {
    const path = joinPath(prefix, step.name);
    const last = lastOf(view.get(path));
    if (last?.status === "SUCCESS") {
      Object.assign(outputs, last.outputParameters);
      continue;
    }
    if (last && step.onFailure) {
      const recovered = pipelineOutcome(view, step.onFailure, joinPath(path, ON_FAILURE));
      return { status: recovered.status, outputs: Object.assign(outputs, recovered.outputs) };
    }
    return { status: "FAIL", outputs };
  }
  return { status: "SUCCESS", outputs };
}

function fail(stepPath: string, why: string): never {
  throw new Error(`cannot resolve the scope of "${stepPath}": ${why}`);
}

/** One enclosing level of a step: the siblings before it, then (inside a Map) the item it sees. */
interface Level {
  siblings: string[];
  item?: { iterateOn: string; iterateAs: string; index: number };
}

/** Reading each sibling's records costs a listing apiece; past this many, one listing of the whole run is cheaper. */
const TARGETED_READS = 8;

/** The structure of a step path: which records its scope needs, level by level (no store access). */
function scopePlan(root: PipelineGraph, stepPath: string): Level[] {
  const segs = stepPath.split(".");
  const levels: Level[] = [];
  let pipeline: PipelineGraph | undefined = root;
  let prefix = "";
  let i = 0;
  for (;;) {
    if (!pipeline) fail(stepPath, `no pipeline at "${prefix}"`);
    const idx: number = pipeline.steps.findIndex((s) => s.name === segs[i]);
    if (idx < 0) fail(stepPath, `no step "${segs[i]}" in "${prefix || "(root)"}"`);
    const level: Level = { siblings: pipeline.steps.slice(0, idx).map((s) => joinPath(prefix, s.name)) };
    levels.push(level);
    const node: NodeGraph = pipeline.steps[idx]!;
    const nodePath = joinPath(prefix, node.name);
    if (++i === segs.length) return levels;
    const seg = segs[i++]!;
    prefix = joinPath(nodePath, seg);
    if (seg === ON_FAILURE) pipeline = node.onFailure;
    else if (node.kind === "map") {
      if (!/^(0|[1-9][0-9]*)$/.test(seg)) fail(stepPath, `"${seg}" is not a map index`);
      level.item = { iterateOn: node.iterateOn, iterateAs: node.iterateAs, index: Number(seg) };
      pipeline = node.branch;
    } else if (node.kind === "parallel") pipeline = node.branches[seg];
    else if (node.kind === "conditional") pipeline = seg === "default" ? node.default : node.branches[seg];
    else fail(stepPath, `step "${nodePath}" has no branch "${seg}"`);
  }
}

/** The records of `paths`: settled ones from memory, few others one by one, many through one run listing. */
async function siblingRecords(store: RunLogStore, runId: string, paths: string[]): Promise<View> {
  const out: View = new Map();
  const missing: string[] = [];
  for (const p of paths) {
    const hit = settledRecords(store, runId, p);
    if (hit) out.set(p, hit);
    else missing.push(p);
  }
  const remember = (p: string, records: AttemptRecord[] | undefined) => {
    if (!records) return;
    out.set(p, records);
    settle(store, runId, p, records);
  };
  if (missing.length > TARGETED_READS) {
    const all = await store.allAttempts(runId);
    for (const p of missing) remember(p, all.get(p));
  } else {
    const lists = await Promise.all(missing.map((p) => store.attempts(runId, p)));
    missing.forEach((p, i) => remember(p, lists[i]));
  }
  return out;
}

/**
 * The scope of a step, from the run log: the run's initial parameters, then at every enclosing
 * level the outputs of the preceding siblings (composites: their nodeEnd record), plus `iterateAs`
 * inside a Map. An onFailure pipeline sees the failed step's input scope (not its outputs).
 * References to object() values stay references; materialise them when calling a function.
 * Without an in-memory view, a step with few preceding siblings reads only their records, so
 * iteration 900 of a Map costs what iteration 1 does; a step with many reads the run's attempts at once.
 */
export async function resolveScope(runId: string, stepPath: string, ctx: StepContext): Promise<Scope> {
  const levels = scopePlan(ctx.built.graph, stepPath);
  const header = await ctx.stores.runLog.getHeader(runId);
  if (!header) throw new Error(`run "${runId}" not found in ${ctx.stores.blob.location}`);
  const view = ctx.attempts ?? await siblingRecords(ctx.stores.runLog, runId, levels.flatMap((l) => l.siblings));
  const scope: Scope = { ...header.parameters };
  for (const level of levels) {
    for (const path of level.siblings) {
      const last = lastOf(view.get(path));
      if (last?.status === "SUCCESS") Object.assign(scope, last.outputParameters);
    }
    if (level.item) scope[level.item.iterateAs] = itemOf(scope[level.item.iterateOn], level.item.index);
  }
  return scope;
}
