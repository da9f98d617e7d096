import { scheduleProblems } from "./schedule.js";
import { DefinitionError, type Problem } from "../sdk/errors.js";
import type { Node } from "../sdk/node.js";
import type { Pipeline } from "../sdk/pipeline.js";
import type { Step } from "../sdk/step.js";
import type { NotebookTask } from "../sdk/notebook.js";
import type { FunctionTask, ShellTask, TaskBase } from "../sdk/tasks.js";
import { ON_FAILURE, STEP_NAME } from "../sdk/types.js";
import type { StandardSchemaV1 } from "../sdk/schema.js";
import { canonicalJson, sha256Hex } from "./hash.js";
import { describeParameters } from "./parameters.js";
import { declaredReads, inferReads } from "./reads.js";
import { judgeShape, returnedShapes, shapeAdvice } from "./returned.js";
import type { NodeGraph, PipelineGraph, RetrySpec, RootGraph, SecretGraph } from "./types.js";
import { validateGraph } from "./validate.js";

/** A pipeline turned into its graph, with the SDK node behind every definition path (for functions). */
export interface BuiltPipeline {
  graph: RootGraph;
  /** Definition path → SDK node (FunctionTask functions, Map reducers live there). */
  nodes: ReadonlyMap<string, Step>;
  /** The Pipeline's parameters schema, when it has one and the module is loaded. */
  schema?: StandardSchemaV1;
}

export interface BuildOptions {
  /** Name used when the Pipeline has none. Default "pipeline". */
  fallbackName?: string;
  /**
   * Read functions' sources (acorn) for what they read and the objects they return. Default true.
   * The deployed step handlers pass false: the run was checked where it was created, `reads` stay
   * outside the dagHash, returns are still judged when a step runs — and the parser stays out of the
   * step Lambda bundle.
   */
  analyseSources?: boolean;
}

export function joinPath(prefix: string, segment: string): string {
  return prefix ? `${prefix}.${segment}` : segment;
}

/** Builds and validates the graph; throws one DefinitionError listing every problem found. */
export function buildGraph(pipeline: Pipeline, options: BuildOptions = {}): BuiltPipeline {
  const problems: Problem[] = [];
  const nodes = new Map<string, Step>();
  const active = new Set<Pipeline>();
  // Secrets declared by the enclosing pipelines, outermost first: every task inside gets them.
  const inherited: (readonly SecretGraph[])[] = [];

  function pipelineGraph(p: Pipeline, path: string): PipelineGraph {
    if (active.has(p)) {
      problems.push({ path, code: "cycle", message: "a pipeline contains itself" });
      return { path, steps: [] };
    }
    active.add(p);
    inherited.push(p.secrets ?? []);
    const steps = p.steps.map((s) => nodeGraph(s, joinPath(path, s.name)));
    inherited.pop();
    active.delete(p);
    return Object.freeze({ path, steps: Object.freeze(steps) as NodeGraph[] });
  }

  function nodeGraph(node: Node, path: string): NodeGraph {
    // Every Node is one of the SDK's step classes (its constructor is protected); `kind` tells which.
    const step = node as Step;
    if (!nodes.has(path)) nodes.set(path, step);
    const onFailure = node.onFailure ? pipelineGraph(node.onFailure, joinPath(path, ON_FAILURE)) : undefined;
    const base = { name: node.name, path, ...(onFailure ? { onFailure } : {}) };
    const g = toGraph(step, path, base);
    return Object.freeze(g);
  }

  function toGraph(step: Step, path: string, base: { name: string; path: string; onFailure?: PipelineGraph }): NodeGraph {
    switch (step.kind) {
      case "function":
      case "shell":
      case "notebook": {
        const task = {
          ...base,
          returns: step.returns.map((r) => ({ name: r.name, kind: r.kind })),
          ...(step.catalog ? { catalog: { get: [...step.catalog.get], put: [...step.catalog.put], storeCopy: step.catalog.storeCopy } } : {}),
          retry: retrySpec(step),
          ...(step.timeoutSeconds !== undefined ? { timeoutSeconds: step.timeoutSeconds } : {}),
          compute: step.compute,
          ...(step.resources?.memoryMiB !== undefined ? { memoryMiB: step.resources.memoryMiB } : {}),
          ...(step.resources?.vcpu !== undefined ? { vcpu: step.resources.vcpu } : {}),
          ...(step.resources?.ephemeralStorageMiB !== undefined ? { ephemeralStorageMiB: step.resources.ephemeralStorageMiB } : {}),
          ...(step.resources?.architecture !== undefined ? { architecture: step.resources.architecture } : {}),
          ...secretsOf(step),
        };
        if (step.kind === "notebook") return { kind: "notebook", ...task, notebook: step.notebook, kernel: step.kernel };
        if (step.kind === "shell") return { kind: "shell", ...task, command: step.command };
        if (options.analyseSources === false) return { kind: "function", ...task, ...(step.reads !== undefined ? { reads: Object.freeze(declaredReads(step.reads)) } : {}) };
        returnShapeProblems(step, path);
        const reads = step.reads !== undefined ? declaredReads(step.reads) : inferReads(step.function);
        return { kind: "function", ...task, ...(reads ? { reads: Object.freeze(reads) } : {}) };
      }
      case "stub":
        return { kind: "stub", ...base, returns: step.returns.map((r) => ({ name: r.name, kind: r.kind })) };
      case "parallel":
        return { kind: "parallel", ...base, branches: branchGraphs(step.branches, path) };
      case "map":
        return {
          kind: "map", ...base, iterateOn: step.iterateOn, iterateAs: step.iterateAs,
          branch: pipelineGraph(step.branch, joinPath(path, "*")), hasReducer: step.reducer !== undefined,
          maxConcurrency: step.maxConcurrency, distributed: step.distributed,
          ...(step.toleratedFailurePercentage !== undefined ? { toleratedFailurePercentage: step.toleratedFailurePercentage } : {}),
          ...(step.toleratedFailureCount !== undefined ? { toleratedFailureCount: step.toleratedFailureCount } : {}),
        };
      case "conditional":
        return {
          kind: "conditional", ...base, parameter: step.parameter, branches: branchGraphs(step.branches, path),
          ...(step.default ? { default: pipelineGraph(step.default, joinPath(path, "default")) } : {}),
        };
      case "success":
        return { kind: "success", ...base };
      case "fail":
        return { kind: "fail", ...base };
      default:
        problems.push({ path, code: "unknown-step", message: `unknown step type ${(step as Node | undefined)?.constructor?.name ?? typeof step}` });
        return { kind: "stub", ...base, returns: [] };
    }
  }

  /** The task's secrets merged with its pipelines' (the innermost declaration of a name wins); absent when none. */
  function secretsOf(step: FunctionTask | ShellTask | NotebookTask): { secrets?: SecretGraph[] } {
    const byName = new Map<string, SecretGraph>();
    // A NotebookTask declares none of its own (it reads RUNNABLE_SECRET_*); its pipelines' apply.
    const own = step.kind === "notebook" ? [] : step.secrets ?? [];
    for (const list of [...inherited, own]) for (const s of list) byName.set(s.name, { name: s.name, from: s.from, id: s.id });
    return byName.size ? { secrets: [...byName.values()].sort((a, b) => a.name.localeCompare(b.name)) } : {};
  }

  /** Object literals the function returns whose keys do not fit `returns`: they would fail the step at run time. */
  function returnShapeProblems(node: FunctionTask, path: string): void {
    const declared = node.returns.map((r) => r.name);
    for (const keys of returnedShapes(node.function)) {
      const verdict = judgeShape(declared, keys);
      if (verdict.ok) continue;
      const what = keys.length ? `an object with ${keys.map((k) => `"${k}"`).join(", ")}` : "an empty object";
      problems.push({ path, code: verdict.kind === "unexpected" ? "undeclared-return" : `${verdict.kind}-return`, message: `its function returns ${what}${shapeAdvice(verdict, declared, keys)}` });
      return;
    }
  }

  function branchGraphs(branches: Readonly<Record<string, Pipeline>>, path: string): Record<string, PipelineGraph> {
    const out: Record<string, PipelineGraph> = {};
    for (const key of Object.keys(branches).sort()) out[key] = pipelineGraph(branches[key]!, joinPath(path, key));
    return Object.freeze(out);
  }

  const name = pipeline.name ?? options.fallbackName ?? "pipeline";
  if (!STEP_NAME.test(name)) problems.push({ path: "", code: "invalid-name", message: `pipeline name ${JSON.stringify(name)} is invalid` });
  problems.push(...scheduleProblems(name, pipeline.schedule));
  const root = pipelineGraph(pipeline, "");
  problems.push(...validateGraph(root));
  if (problems.length) throw new DefinitionError(problems);
  const body = { version: 1 as const, name, path: "", steps: root.steps };
  const schema = pipeline.parameters;
  const graph: RootGraph = Object.freeze({
    ...body, ...(schema ? { parameters: describeParameters(schema) } : {}), ...(pipeline.schedule ? { schedule: pipeline.schedule } : {}), dagHash: sha256Hex(canonicalJson(hashed(body))),
  });
  return { graph, nodes, ...(schema ? { schema } : {}) };
}

/** The graph as hashed: without what describes the code rather than the graph's shape (FunctionNode `reads`). */
function hashed<T extends { steps: readonly NodeGraph[] }>(p: T): T {
  return { ...p, steps: p.steps.map(hashedNode) };
}

function hashedNode(n: NodeGraph): NodeGraph {
  const { onFailure, ...rest } = n;
  const out = { ...rest, ...(onFailure ? { onFailure: hashed(onFailure) } : {}) };
  if (out.kind === "function") delete out.reads;
  if (out.kind === "parallel" || out.kind === "conditional") out.branches = Object.fromEntries(Object.entries(out.branches).map(([k, b]) => [k, hashed(b)]));
  if (out.kind === "conditional" && out.default) out.default = hashed(out.default);
  if (out.kind === "map") out.branch = hashed(out.branch);
  return out;
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
