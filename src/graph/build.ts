import { Conditional, MapNode, Parallel } from "../sdk/composites.js";
import { DefinitionError, type Problem } from "../sdk/errors.js";
import type { Node } from "../sdk/node.js";
import type { Pipeline } from "../sdk/pipeline.js";
import { NotebookTask } from "../sdk/notebook.js";
import { FunctionTask, ShellTask, Stub, type TaskBase } from "../sdk/tasks.js";
import { Fail, Success } from "../sdk/terminals.js";
import { ON_FAILURE, STEP_NAME } from "../sdk/types.js";
import { canonicalJson, sha256Hex } from "./hash.js";
import type { NodeGraph, PipelineGraph, RetrySpec, RootGraph } from "./types.js";
import { validateGraph } from "./validate.js";

/** A pipeline turned into its graph, with the SDK node behind every definition path (for functions). */
export interface BuiltPipeline {
  graph: RootGraph;
  /** Definition path → SDK node (FunctionTask functions, Map reducers live there). */
  nodes: ReadonlyMap<string, Node>;
}

export interface BuildOptions {
  /** Name used when the Pipeline has none. Default "pipeline". */
  fallbackName?: string;
}

export function joinPath(prefix: string, segment: string): string {
  return prefix ? `${prefix}.${segment}` : segment;
}

/** Builds and validates the graph; throws one DefinitionError listing every problem found. */
export function buildGraph(pipeline: Pipeline, options: BuildOptions = {}): BuiltPipeline {
  const problems: Problem[] = [];
  const nodes = new Map<string, Node>();
  const active = new Set<Pipeline>();

  function pipelineGraph(p: Pipeline, path: string): PipelineGraph {
    if (active.has(p)) {
      problems.push({ path, code: "cycle", message: "a pipeline contains itself" });
      return { path, steps: [] };
    }
    active.add(p);
    const steps = p.steps.map((s) => nodeGraph(s, joinPath(path, s.name)));
    active.delete(p);
    return Object.freeze({ path, steps: Object.freeze(steps) as NodeGraph[] });
  }

  function nodeGraph(node: Node, path: string): NodeGraph {
    if (!nodes.has(path)) nodes.set(path, node);
    const onFailure = node.onFailure ? pipelineGraph(node.onFailure, joinPath(path, ON_FAILURE)) : undefined;
    const base = { name: node.name, path, ...(onFailure ? { onFailure } : {}) };
    const g = toGraph(node, path, base);
    return Object.freeze(g);
  }

  function toGraph(node: Node, path: string, base: { name: string; path: string; onFailure?: PipelineGraph }): NodeGraph {
    if (node instanceof FunctionTask || node instanceof ShellTask || node instanceof NotebookTask) {
      const task = {
        ...base,
        returns: node.returns.map((r) => ({ name: r.name, kind: r.kind })),
        ...(node.catalog ? { catalog: { get: [...node.catalog.get], put: [...node.catalog.put], storeCopy: node.catalog.storeCopy } } : {}),
        retry: retrySpec(node),
        ...(node.timeoutSeconds !== undefined ? { timeoutSeconds: node.timeoutSeconds } : {}),
        compute: node.compute,
        ...(node.resources?.memoryMiB !== undefined ? { memoryMiB: node.resources.memoryMiB } : {}),
        ...(node.resources?.vcpu !== undefined ? { vcpu: node.resources.vcpu } : {}),
      };
      if (node instanceof NotebookTask) return { kind: "notebook", ...task, notebook: node.notebook, kernel: node.kernel };
      return node instanceof ShellTask ? { kind: "shell", ...task, command: node.command } : { kind: "function", ...task };
    }
    if (node instanceof Stub) return { kind: "stub", ...base, returns: node.returns.map((r) => ({ name: r.name, kind: r.kind })) };
    if (node instanceof Parallel) return { kind: "parallel", ...base, branches: branchGraphs(node.branches, path) };
    if (node instanceof MapNode) {
      return {
        kind: "map", ...base, iterateOn: node.iterateOn, iterateAs: node.iterateAs,
        branch: pipelineGraph(node.branch, joinPath(path, "*")), hasReducer: node.reducer !== undefined,
        maxConcurrency: node.maxConcurrency, distributed: node.distributed,
      };
    }
    if (node instanceof Conditional) {
      return {
        kind: "conditional", ...base, parameter: node.parameter, branches: branchGraphs(node.branches, path),
        ...(node.default ? { default: pipelineGraph(node.default, joinPath(path, "default")) } : {}),
      };
    }
    if (node instanceof Success) return { kind: "success", ...base };
    if (node instanceof Fail) return { kind: "fail", ...base };
    problems.push({ path, code: "unknown-step", message: `unknown step type ${node?.constructor?.name ?? typeof node}` });
    return { kind: "stub", ...base, returns: [] };
  }

  function branchGraphs(branches: Readonly<Record<string, Pipeline>>, path: string): Record<string, PipelineGraph> {
    const out: Record<string, PipelineGraph> = {};
    for (const key of Object.keys(branches).sort()) out[key] = pipelineGraph(branches[key]!, joinPath(path, key));
    return Object.freeze(out);
  }

  const name = pipeline.name ?? options.fallbackName ?? "pipeline";
  if (!STEP_NAME.test(name)) problems.push({ path: "", code: "invalid-name", message: `pipeline name ${JSON.stringify(name)} is invalid` });
  const root = pipelineGraph(pipeline, "");
  problems.push(...validateGraph(root));
  if (problems.length) throw new DefinitionError(problems);
  const body = { version: 1 as const, name, path: "", steps: root.steps };
  const graph: RootGraph = Object.freeze({ ...body, dagHash: sha256Hex(canonicalJson(body)) });
  return { graph, nodes };
}

function retrySpec(node: TaskBase): RetrySpec {
  const r = node.retry ?? {};
  return {
    attempts: r.attempts ?? 1,
    intervalSeconds: r.intervalSeconds ?? 1,
    backoffRate: r.backoffRate ?? 2,
    ...(r.maxDelaySeconds !== undefined ? { maxDelaySeconds: r.maxDelaySeconds } : {}),
  };
}
