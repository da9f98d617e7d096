import { assertNever, type NodeGraph, type PipelineGraph, type RootGraph } from "../graph/types.js";

/**
 * Renders a built pipeline as a Mermaid flowchart. Every pipeline (root, branch, map body,
 * onFailure) is a chain of its steps; nested pipelines are subgraphs, so the picture mirrors the
 * step paths of the run log. Ids come from definition paths ("." → "_"), made unique if two collide.
 */
export function toMermaid(graph: RootGraph): string {
  const r = new Renderer();
  r.out.push("flowchart TD", `  start_(["${label(graph.name)}"])`);
  const [first, last] = r.chain(graph, "  ");
  r.out.push("  end_([end])", `  start_ --> ${first}`, `  ${last} --> end_`);
  return r.out.join("\n") + "\n";
}

function label(text: string): string {
  return text.replace(/"/g, "#quot;");
}

class Renderer {
  readonly out: string[] = [];
  private readonly used = new Set<string>(["start_", "end_"]);

  private id(base: string): string {
    const clean = "n_" + base.replace(/\*/g, "each").replace(/[^A-Za-z0-9_]/g, "_");
    let id = clean;
    for (let i = 2; this.used.has(id); i++) id = `${clean}_${i}`;
    this.used.add(id);
    return id;
  }

  /** Emits a pipeline's steps in order; returns the ids of its entry and exit. */
  chain(p: PipelineGraph, indent: string): [string, string] {
    let entry = "";
    let previous = "";
    for (const node of p.steps) {
      const [inId, outId] = this.node(node, indent);
      if (previous) this.out.push(`${indent}${previous} --> ${inId}`);
      else entry = inId;
      previous = outId;
    }
    return [entry, previous];
  }

  private node(node: NodeGraph, indent: string): [string, string] {
    const me = this.id(node.path);
    const out = this.out;
    let ends: [string, string] = [me, me];
    switch (node.kind) {
      case "function": case "shell": case "notebook": case "stub": {
        const what = node.kind === "function" ? "" : node.kind === "notebook" ? ` (notebook ${node.notebook})` : ` (${node.kind})`;
        const returns = node.returns.length ? `<br/>→ ${node.returns.map((r) => r.name).join(", ")}` : "";
        out.push(`${indent}${me}["${label(node.name + what + returns)}"]`);
        break;
      }
      case "success": case "fail":
        out.push(`${indent}${me}(["${label(`${node.name} (${node.kind})`)}"])`);
        break;
      case "parallel": case "conditional": {
        const join = this.id(`${node.path}.join`);
        out.push(node.kind === "parallel"
          ? `${indent}${me}{{"${label(`${node.name} (parallel)`)}"}}`
          : `${indent}${me}{"${label(`${node.name}: ${node.parameter}?`)}"}`, `${indent}${join}(( ))`);
        const branches: [string, PipelineGraph][] = Object.entries(node.branches);
        if (node.kind === "conditional" && node.default) branches.push(["default", node.default]);
        for (const [key, branch] of branches) {
          const [a, b] = this.subgraph(`${node.path}.${key}`, key, branch, indent);
          out.push(`${indent}${me} -->|${label(key)}| ${a}`, `${indent}${b} --> ${join}`);
        }
        ends = [me, join];
        break;
      }
      case "map": {
        const join = this.id(`${node.path}.join`);
        out.push(`${indent}${me}[/"${label(`${node.name}: each ${node.iterateAs} in ${node.iterateOn}`)}"/]`,
          `${indent}${join}[\\"${node.hasReducer ? "reduce" : "collect"}"/]`);
        const [a, b] = this.subgraph(node.branch.path, `${node.name} (per item)`, node.branch, indent);
        out.push(`${indent}${me} --> ${a}`, `${indent}${b} --> ${join}`);
        ends = [me, join];
        break;
      }
      default:
        return assertNever(node);
    }
    if (node.onFailure) {
      const [a] = this.subgraph(node.onFailure.path, `${node.name} onFailure`, node.onFailure, indent);
      out.push(`${indent}${me} -. on failure .-> ${a}`);
    }
    return ends;
  }

  private subgraph(path: string, title: string, p: PipelineGraph, indent: string): [string, string] {
    this.out.push(`${indent}subgraph ${this.id(path)}["${label(title)}"]`);
    const ends = this.chain(p, indent + "  ");
    this.out.push(`${indent}end`);
    return ends;
  }
}
