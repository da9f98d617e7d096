import { ON_FAILURE } from "../sdk/types.js";
import type { NodeGraph, PipelineGraph } from "./types.js";

/** Replaces each "*" of a definition path with the matching map index, in order. */
export function toStepPath(definitionPath: string, indexes: readonly number[]): string {
  let i = 0;
  const out = definitionPath.split(".").map((seg) => {
    if (seg !== "*") return seg;
    if (i >= indexes.length) throw new Error(`path "${definitionPath}" needs more map indexes than ${JSON.stringify(indexes)}`);
    return String(indexes[i++]);
  });
  if (i !== indexes.length) throw new Error(`path "${definitionPath}" takes ${i} map indexes, got ${indexes.length}`);
  return out.join(".");
}

export interface LocatedStep {
  node: NodeGraph;
  definitionPath: string;
  indexes: number[];
}

/** Finds the node of a step path (`map.3.step`), or undefined when the path names no step. */
export function locate(root: PipelineGraph, stepPath: string): LocatedStep | undefined {
  const segs = stepPath.split(".");
  const indexes: number[] = [];
  let pipeline: PipelineGraph | undefined = root;
  let node: NodeGraph | undefined;
  let i = 0;
  while (i < segs.length) {
    if (!pipeline) return undefined;
    node = pipeline.steps.find((s) => s.name === segs[i]);
    if (!node) return undefined;
    i++;
    if (i === segs.length) break;
    const seg = segs[i]!;
    if (seg === ON_FAILURE) {
      pipeline = node.onFailure;
      i++;
    } else if (node.kind === "map") {
      if (!/^(0|[1-9][0-9]*)$/.test(seg)) return undefined;
      indexes.push(Number(seg));
      pipeline = node.branch;
      i++;
    } else if (node.kind === "parallel") {
      pipeline = node.branches[seg];
      i++;
    } else if (node.kind === "conditional") {
      pipeline = seg === "default" ? node.default : node.branches[seg];
      i++;
    } else return undefined;
  }
  return node ? { node, definitionPath: node.path, indexes } : undefined;
}

/** Finds a node by its definition path. */
export function findNode(root: PipelineGraph, definitionPath: string): NodeGraph | undefined {
  let found: NodeGraph | undefined;
  walk(root, (n) => {
    if (n.path === definitionPath) found = n;
  });
  return found;
}

/** Visits every node, depth first, in step order (branches, map branch, default, onFailure). */
export function walk(p: PipelineGraph, visit: (node: NodeGraph, parent: PipelineGraph) => void): void {
  for (const node of p.steps) {
    visit(node, p);
    if (node.kind === "parallel" || node.kind === "conditional") for (const b of Object.values(node.branches)) walk(b, visit);
    if (node.kind === "conditional" && node.default) walk(node.default, visit);
    if (node.kind === "map") walk(node.branch, visit);
    if (node.onFailure) walk(node.onFailure, visit);
  }
}
