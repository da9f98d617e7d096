import type { NodeGraph, PipelineGraph, RootGraph } from "../graph/types.js";
import type { RunLog, StepType } from "../sdk/runlog.js";
import { ON_FAILURE } from "../sdk/types.js";

/**
 * A graph rebuilt from a run log's step paths, for runs whose graph was not stored (made before
 * graphs were, or read through the runs API). It holds what ran — untaken branches and steps not
 * reached are missing — which is what the viewers can honestly draw. A composite still running has
 * no record yet: a numeric segment under it is read as a Map index, anything else as a branch key.
 */
export function inferGraph(log: RunLog): RootGraph {
  const root: PipelineGraph = { path: "", steps: [] };
  for (const [stepPath, step] of Object.entries(log.steps)) insert(root, stepPath.split("."), [], step.type, Object.keys(step.attempts.at(-1)?.outputParameters ?? {}));
  return { version: 1, name: log.pipeline, dagHash: log.dagHash, ...root };
}

const INDEX = /^(0|[1-9][0-9]*)$/;
type Kind = NodeGraph["kind"];

function kindOf(type: StepType): Kind {
  return type === "task" ? "function" : type;
}

function join(parts: string[]): string {
  return parts.join(".");
}

function newNode(name: string, path: string, kind: Kind): NodeGraph {
  switch (kind) {
    case "function": return { kind, name, path, returns: [], retry: { attempts: 1, intervalSeconds: 0, backoffRate: 1 }, compute: "lambda" };
    case "shell": return { kind, name, path, command: "", returns: [], retry: { attempts: 1, intervalSeconds: 0, backoffRate: 1 }, compute: "lambda" };
    case "notebook": return { kind, name, path, notebook: "", kernel: "", returns: [], retry: { attempts: 1, intervalSeconds: 0, backoffRate: 1 }, compute: "batch" };
    case "stub": return { kind, name, path, returns: [] };
    case "parallel": return { kind, name, path, branches: {} };
    case "conditional": return { kind, name, path, parameter: "?", branches: {} };
    case "map": return { kind, name, path, iterateOn: "?", iterateAs: "?", branch: { path: `${path}.*`, steps: [] }, hasReducer: false, maxConcurrency: 0, distributed: false };
    case "success": case "fail": return { kind, name, path };
  }
}

/** Changes a placeholder node's kind in place, keeping what was attached under it. */
function retype(pipeline: PipelineGraph, node: NodeGraph, kind: Kind): NodeGraph {
  if (node.kind === kind) return node;
  const fresh = newNode(node.name, node.path, kind);
  if (node.onFailure) fresh.onFailure = node.onFailure;
  if ((fresh.kind === "parallel" || fresh.kind === "conditional") && (node.kind === "parallel" || node.kind === "conditional")) {
    const { default: fallback, ...keyed } = node.branches;
    fresh.branches = fresh.kind === "conditional" ? keyed : node.branches;
    if (fresh.kind === "conditional" && fallback) fresh.default = fallback;
  }
  pipeline.steps[pipeline.steps.indexOf(node)] = fresh;
  return fresh;
}

function insert(pipeline: PipelineGraph, segs: string[], defParts: string[], type: StepType, returns: string[]): void {
  const [name, next, ...rest] = segs as [string, string | undefined, ...string[]];
  const parts = [...defParts, name];
  let node = pipeline.steps.find((s) => s.name === name);
  if (next === undefined) {
    node = node ? retype(pipeline, node, kindOf(type)) : (pipeline.steps.push(newNode(name, join(parts), kindOf(type))), pipeline.steps.at(-1)!);
    if ((node.kind === "function" || node.kind === "stub") && node.returns.length === 0) node.returns = returns.map((r) => ({ name: r, kind: "json" }));
    return;
  }
  if (!node) {
    const guess: Kind = next === ON_FAILURE ? "function" : INDEX.test(next) ? "map" : "parallel";
    node = newNode(name, join(parts), guess);
    pipeline.steps.push(node);
  }
  if (next === ON_FAILURE) {
    node.onFailure ??= { path: join([...parts, ON_FAILURE]), steps: [] };
    insert(node.onFailure, rest, [...parts, ON_FAILURE], type, returns);
    return;
  }
  if (node.kind !== "map" && node.kind !== "parallel" && node.kind !== "conditional") node = retype(pipeline, node, INDEX.test(next) ? "map" : "parallel");
  if (node.kind === "map") {
    insert(node.branch, rest, [...parts, "*"], type, returns);
    return;
  }
  if (node.kind === "conditional" && next === "default") {
    node.default ??= { path: join([...parts, next]), steps: [] };
    insert(node.default, rest, [...parts, next], type, returns);
    return;
  }
  if (node.kind === "parallel" || node.kind === "conditional") {
    const branch = (node.branches[next] ??= { path: join([...parts, next]), steps: [] });
    insert(branch, rest, [...parts, next], type, returns);
  }
}
