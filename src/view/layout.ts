// @dagrejs/dagre 3.1.3 ships .d.ts files with extensionless relative imports that nodenext resolution
// cannot follow, so graphlib is untyped here (tsc hides it with skipLibCheck).
/* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-member-access */
import { graphlib, layout } from "@dagrejs/dagre";
import { assertNever, type NodeGraph, type PipelineGraph, type RootGraph } from "../graph/types.js";

/**
 * The pipeline DAG laid out for drawing: one box per definition node (a Map's body once, however
 * many iterations), Parallel/Conditional/Map bodies and onFailure pipelines as nested groups. The
 * same layout draws `runnable graph --format svg` and the web UI's run page (see svg.ts). Layout
 * by dagre; text is monospace so box sizes are computed the same way everywhere (no font metrics).
 */

export type BoxShape = "task" | "terminal" | "fork" | "join" | "start" | "end";
export type GroupKind = "parallel" | "conditional" | "map" | "branch" | "onFailure";

export interface Box {
  id: string;
  /** Definition path of the node it draws (absent for start/end/join). */
  path?: string;
  label: string;
  /** Second line: the kind and what it returns, or a Map's iteration; replaced by run details in the UI. */
  sub: string;
  shape: BoxShape;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Group {
  id: string;
  path: string;
  label: string;
  kind: GroupKind;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Line {
  from: string;
  to: string;
  label?: string;
  dashed?: boolean;
  points: { x: number; y: number }[];
}

export interface DagLayout {
  width: number;
  height: number;
  boxes: Box[];
  groups: Group[];
  lines: Line[];
}

/** Width of one character of the 12px monospace font the boxes use. */
export const CHAR_WIDTH = 7.3;
/** Room kept on a box's second line for run details such as "1000/1000 ✓ 1000 ✗". */
const SUB_CHARS = 24;
const PAD_X = 12;
const BOX_HEIGHT = 42;

type Unlaid<T> = Omit<T, "x" | "y" | "width" | "height" | "points">;

/** The boxes, groups and lines of a pipeline before layout; `parents`: box or group id → enclosing group id. */
export interface Dag {
  boxes: Unlaid<Box>[];
  groups: Unlaid<Group>[];
  lines: Unlaid<Line>[];
  parents: Map<string, string>;
}

/** The boxes, groups and lines of a pipeline (also what the dot output draws). */
export function buildDag(graph: RootGraph): Dag {
  const b = new Builder();
  const start = b.box({ id: "start", label: graph.name, sub: "start", shape: "start" });
  const [first, last] = b.chain(graph, undefined);
  const end = b.box({ id: "end", label: "end", sub: "", shape: "end" });
  b.line(start, first);
  b.line(last, end);
  return b.dag;
}

/** Builds the boxes, groups and lines of a pipeline, then lays them out. */
export function layoutPipeline(graph: RootGraph): DagLayout {
  return layoutDag(buildDag(graph));
}

class Builder {
  readonly dag: Dag = { boxes: [], groups: [], lines: [], parents: new Map() };
  private readonly ids = new Set<string>();

  private id(base: string): string {
    let id = base.replace(/[^A-Za-z0-9_.*-]/g, "_");
    for (let i = 2; this.ids.has(id); i++) id = `${base}~${i}`;
    this.ids.add(id);
    return id;
  }

  box(b: Unlaid<Box>, parent?: string): string {
    const id = this.id(b.id);
    this.dag.boxes.push({ ...b, id });
    if (parent) this.dag.parents.set(id, parent);
    return id;
  }

  group(g: Unlaid<Group>, parent?: string): string {
    const id = this.id(`group:${g.id}`);
    this.dag.groups.push({ ...g, id });
    if (parent) this.dag.parents.set(id, parent);
    return id;
  }

  line(from: string, to: string, extra: { label?: string; dashed?: boolean } = {}): void {
    this.dag.lines.push({ from, to, ...extra });
  }

  /** A pipeline's steps in order; returns the ids its entry and exit. */
  chain(p: PipelineGraph, parent: string | undefined): [string, string] {
    let entry = "";
    let previous = "";
    for (const node of p.steps) {
      const [inId, outId] = this.node(node, parent);
      if (previous) this.line(previous, inId);
      else entry = inId;
      previous = outId;
    }
    return [entry, previous];
  }

  private node(node: NodeGraph, parent: string | undefined): [string, string] {
    let ends: [string, string];
    switch (node.kind) {
      case "function": case "shell": case "notebook": case "stub": {
        const kind = node.kind === "function" ? "" : node.kind === "notebook" ? `notebook ${node.notebook}` : node.kind;
        const returns = node.returns.length ? `→ ${node.returns.map((r) => r.name).join(", ")}` : "";
        const me = this.box({ id: node.path, path: node.path, label: node.name, sub: [kind, returns].filter(Boolean).join(" "), shape: "task" }, parent);
        ends = [me, me];
        break;
      }
      case "success": case "fail": {
        const me = this.box({ id: node.path, path: node.path, label: node.name, sub: node.kind, shape: "terminal" }, parent);
        ends = [me, me];
        break;
      }
      case "parallel": case "conditional": {
        const g = this.group({ id: node.path, path: node.path, label: node.name, kind: node.kind }, parent);
        const sub = node.kind === "parallel" ? "parallel" : `on ${node.parameter}`;
        const fork = this.box({ id: node.path, path: node.path, label: node.name, sub, shape: "fork" }, g);
        const join = this.box({ id: `${node.path}.join`, label: "", sub: "", shape: "join" }, g);
        const branches: [string, PipelineGraph][] = Object.entries(node.branches);
        if (node.kind === "conditional" && node.default) branches.push(["default", node.default]);
        for (const [key, branch] of branches) {
          const bg = this.group({ id: `${node.path}.${key}`, path: `${node.path}.${key}`, label: key, kind: "branch" }, g);
          const [a, z] = this.chain(branch, bg);
          // The branch's group is labelled with its key: no edge label to repeat it.
          this.line(fork, a);
          this.line(z, join);
        }
        ends = [fork, join];
        break;
      }
      case "map": {
        const g = this.group({ id: node.path, path: node.path, label: node.name, kind: "map" }, parent);
        const fork = this.box({ id: node.path, path: node.path, label: node.name, sub: `each ${node.iterateAs} in ${node.iterateOn}`, shape: "fork" }, g);
        const body = this.group({ id: node.branch.path, path: node.branch.path, label: "per item", kind: "branch" }, g);
        const [a, z] = this.chain(node.branch, body);
        const join = this.box({ id: `${node.path}.join`, label: node.hasReducer ? "reduce" : "collect", sub: "", shape: "join" }, g);
        this.line(fork, a);
        this.line(z, join);
        ends = [fork, join];
        break;
      }
      default:
        return assertNever(node);
    }
    if (node.onFailure) {
      const g = this.group({ id: node.onFailure.path, path: node.onFailure.path, label: `${node.name} on failure`, kind: "onFailure" }, parent);
      const [a] = this.chain(node.onFailure, g);
      this.line(ends[0], a, { dashed: true, label: "on failure" });
    }
    return ends;
  }
}

function sizeOf(box: Unlaid<Box>): { width: number; height: number } {
  if (box.shape === "join") return box.label ? { width: box.label.length * CHAR_WIDTH + 2 * PAD_X, height: 24 } : { width: 16, height: 16 };
  const chars = Math.max(box.label.length, box.sub.length, box.shape === "task" || box.shape === "fork" ? SUB_CHARS : 8);
  return { width: Math.ceil(chars * CHAR_WIDTH + 2 * PAD_X), height: BOX_HEIGHT };
}

const round = (n: number): number => Math.round(n * 10) / 10;

function topLeft(n: { x: number; y: number; width: number; height: number }): { x: number; y: number; width: number; height: number } {
  return { x: round(n.x - n.width / 2), y: round(n.y - n.height / 2), width: round(n.width), height: round(n.height) };
}

/** Positions a DAG with dagre (top to bottom). */
export function layoutDag(dag: Dag): DagLayout {
  const g = new graphlib.Graph({ compound: true, multigraph: true });
  g.setGraph({ rankdir: "TB", nodesep: 28, ranksep: 34, edgesep: 12, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const box of dag.boxes) g.setNode(box.id, sizeOf(box));
  for (const group of dag.groups) g.setNode(group.id, {});
  for (const [child, parent] of dag.parents) g.setParent(child, parent);
  dag.lines.forEach((l, i) => {
    const label = l.label ? { width: l.label.length * CHAR_WIDTH * 0.9 + 8, height: 14, labelpos: "c" as const } : {};
    g.setEdge(l.from, l.to, label, String(i));
  });
  layout(g);
  const at = (id: string) => g.node(id) as { x: number; y: number; width: number; height: number };
  const boxes = dag.boxes.map((b) => ({ ...b, ...topLeft(at(b.id)) }));
  const groups = dag.groups.map((gr) => ({ ...gr, ...topLeft(at(gr.id)) }));
  const lines = dag.lines.map((l, i) => {
    const e = g.edge({ v: l.from, w: l.to, name: String(i) }) as { points?: { x: number; y: number }[] };
    return { ...l, points: (e.points ?? []).map((p) => ({ x: round(p.x), y: round(p.y) })) };
  });
  const size = g.graph() as { width?: number; height?: number };
  return { width: Math.ceil(size.width ?? 0), height: Math.ceil(size.height ?? 0), boxes, groups, lines };
}
