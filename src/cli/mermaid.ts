import { assertNever, type NodeGraph, type PipelineGraph, type RootGraph } from "../graph/types.js";

/**
 * Renders a built pipeline as a Mermaid flowchart. Every pipeline (root, branch, map body,
 * onFailure) is a chain of its steps; nested pipelines are subgraphs, so the picture mirrors the
 * step paths of the run log. Node ids are derived from definition paths, so they are stable.
 */
export function toMermaid(graph: RootGraph): string {
  const lines: string[] = ["flowchart TD", `  start_(["${graph.name}"])`];
  const [first, last] = chain(graph, "  ", lines);
  lines.push(`  end_([end])`);
  lines.push(`  start_ --> ${first}`);
  lines.push(`  ${last} --> end_`);
  return lines.join("\n") + "\n";
}

function id(path: string): string {
  return "n_" + path.replace(/\*/g, "each").replace(/[^A-Za-z0-9_]/g, "_");
}

function label(text: string): string {
  return text.replace(/"/g, "#quot;");
}

/** Emits a pipeline's steps in order; returns the ids of its entry and exit. */
function chain(p: PipelineGraph, indent: string, out: string[]): [string, string] {
  let entry = "";
  let previous = "";
  for (const node of p.steps) {
    const [inId, outId] = emitNode(node, indent, out);
    if (previous) out.push(`${indent}${previous} --> ${inId}`);
    else entry = inId;
    previous = outId;
  }
  return [entry, previous];
}

function emitNode(node: NodeGraph, indent: string, out: string[]): [string, string] {
  const me = id(node.path);
  let result: [string, string];
  switch (node.kind) {
    case "function": case "shell": case "stub": {
      const what = node.kind === "function" ? "" : ` (${node.kind})`;
      const returns = node.returns.length ? `<br/>→ ${node.returns.map((r) => r.name).join(", ")}` : "";
      out.push(`${indent}${me}["${label(node.name + what + returns)}"]`);
      result = [me, me];
      break;
    }
    case "success": case "fail":
      out.push(`${indent}${me}(["${label(`${node.name} (${node.kind})`)}"])`);
      result = [me, me];
      break;
    case "parallel":
    case "conditional": {
      const fork = node.kind === "parallel"
        ? `${indent}${me}{{"${label(`${node.name} (parallel)`)}"}}`
        : `${indent}${me}{"${label(`${node.name}: ${node.parameter}?`)}"}`;
      out.push(fork, `${indent}${me}_join(( ))`);
      const branches: [string, PipelineGraph][] = Object.entries(node.branches);
      if (node.kind === "conditional" && node.default) branches.push(["default", node.default]);
      for (const [key, branch] of branches) {
        const [a, b] = subgraph(`${me}_${key.replace(/[^A-Za-z0-9_]/g, "_")}`, key, branch, indent, out);
        out.push(`${indent}${me} -->|${label(key)}| ${a}`, `${indent}${b} --> ${me}_join`);
      }
      result = [me, `${me}_join`];
      break;
    }
    case "map": {
      out.push(`${indent}${me}[/"${label(`${node.name}: each ${node.iterateAs} in ${node.iterateOn}`)}"/]`);
      out.push(`${indent}${me}_join[\\"${label(node.hasReducer ? "reduce" : "collect")}"\\]`);
      const [a, b] = subgraph(`${me}_body`, `${node.name} (per item)`, node.branch, indent, out);
      out.push(`${indent}${me} --> ${a}`, `${indent}${b} --> ${me}_join`);
      result = [me, `${me}_join`];
      break;
    }
    default:
      return assertNever(node);
  }
  if (node.onFailure) {
    const [a] = subgraph(`${me}_onFailure`, `${node.name} onFailure`, node.onFailure, indent, out);
    out.push(`${indent}${me} -. on failure .-> ${a}`);
  }
  return result;
}

function subgraph(sid: string, title: string, p: PipelineGraph, indent: string, out: string[]): [string, string] {
  out.push(`${indent}subgraph ${sid}["${label(title)}"]`);
  const ends = chain(p, indent + "  ", out);
  out.push(`${indent}end`);
  return ends;
}
