import type { RootGraph } from "../graph/types.js";
import { buildDag, type Dag } from "../view/layout.js";

/**
 * The pipeline as Graphviz dot text: the same boxes, groups and lines as the SVG (view/layout.ts),
 * groups as clusters. `dot -Tsvg pipeline.dot` draws it with Graphviz's own layout.
 */
export function toDot(graph: RootGraph): string {
  const dag = buildDag(graph);
  const out = ["digraph pipeline {", '  graph [rankdir=TB, fontname="monospace", fontsize=10];', '  node [fontname="monospace", fontsize=11, shape=box, style="rounded"];', '  edge [fontname="monospace", fontsize=9];'];
  const children = new Map<string | undefined, string[]>();
  for (const id of [...dag.groups.map((g) => g.id), ...dag.boxes.map((b) => b.id)]) {
    const parent = dag.parents.get(id);
    children.set(parent, [...(children.get(parent) ?? []), id]);
  }
  emit(dag, children, undefined, "  ", out);
  for (const l of dag.lines) {
    const attrs = [l.label ? `label=${quote(l.label)}` : "", l.dashed ? "style=dashed" : ""].filter(Boolean);
    out.push(`  ${quote(l.from)} -> ${quote(l.to)}${attrs.length ? ` [${attrs.join(", ")}]` : ""};`);
  }
  out.push("}");
  return out.join("\n") + "\n";
}

function emit(dag: Dag, children: Map<string | undefined, string[]>, parent: string | undefined, indent: string, out: string[]): void {
  for (const id of children.get(parent) ?? []) {
    const group = dag.groups.find((g) => g.id === id);
    if (group) {
      // Graphviz draws a subgraph as a box only when its name starts with "cluster".
      out.push(`${indent}subgraph ${quote(`cluster_${id}`)} {`, `${indent}  label=${quote(group.kind === "branch" || group.kind === "onFailure" ? group.label : `${group.label} (${group.kind})`)}; style=dashed;`);
      emit(dag, children, id, indent + "  ", out);
      out.push(`${indent}}`);
      continue;
    }
    const box = dag.boxes.find((b) => b.id === id)!;
    const shape = box.shape === "fork" ? "hexagon" : box.shape === "join" ? (box.label ? "invtrapezium" : "point") : box.shape === "task" ? "box" : "oval";
    const label = box.sub ? `${box.label}\n${box.sub}` : box.label;
    out.push(`${indent}${quote(id)} [label=${quote(label)}, shape=${shape}];`);
  }
}

/** A dot string literal: quotes and backslashes escaped, newlines as \n. */
function quote(text: string): string {
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}
