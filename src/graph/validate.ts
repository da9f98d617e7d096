import type { Problem } from "../sdk/errors.js";
import { PARAMETER_NAME, STEP_NAME } from "../sdk/types.js";
import { reservedNameMessage } from "./reserved.js";
import { resourceProblems } from "./resources.js";
import { assertNever, type NodeGraph, type PipelineGraph, type ReturnSpec } from "./types.js";

/** Names a node adds to the scope of the steps after it (Conditional: any of its branches'). */
export function returnsOf(node: NodeGraph): string[] {
  switch (node.kind) {
    case "function": case "shell": case "notebook": case "stub":
      return node.returns.map((r) => r.name);
    case "parallel":
      return unique(Object.values(node.branches).flatMap(pipelineReturns));
    case "map":
      return pipelineReturns(node.branch);
    case "conditional":
      return unique([...Object.values(node.branches), ...(node.default ? [node.default] : [])].flatMap(pipelineReturns));
    case "success": case "fail":
      return [];
    default:
      return assertNever(node);
  }
}

/** Names a pipeline's steps add to the scope, in step order. */
export function pipelineReturns(p: PipelineGraph): string[] {
  return unique(p.steps.flatMap(returnsOf));
}

/** Return specs (with kinds) a node produces, for runtime binding of Map/Parallel results. */
export function returnSpecsOf(node: NodeGraph): ReturnSpec[] {
  switch (node.kind) {
    case "function": case "shell": case "notebook": case "stub":
      return node.returns;
    case "parallel":
      return Object.values(node.branches).flatMap((b) => b.steps.flatMap(returnSpecsOf));
    case "map":
      return node.branch.steps.flatMap(returnSpecsOf);
    case "conditional":
      return [...Object.values(node.branches), ...(node.default ? [node.default] : [])].flatMap((b) => b.steps.flatMap(returnSpecsOf));
    case "success": case "fail":
      return [];
    default:
      return assertNever(node);
  }
}

function unique(names: string[]): string[] {
  return [...new Set(names)];
}

/** Every nested pipeline of a node (branches, map branch, default, onFailure). */
export function childPipelines(node: NodeGraph): PipelineGraph[] {
  const out: PipelineGraph[] = [];
  if (node.kind === "parallel" || node.kind === "conditional") out.push(...Object.values(node.branches));
  if (node.kind === "conditional" && node.default) out.push(node.default);
  if (node.kind === "map") out.push(node.branch);
  if (node.onFailure) out.push(node.onFailure);
  return out;
}

/** Checks a catalog pattern is a relative path that stays inside the working directory. */
export function catalogPatternProblem(pattern: unknown): string | undefined {
  if (typeof pattern !== "string" || pattern.length === 0) return "must be a non-empty string";
  if (pattern.includes("\0")) return "contains a NUL character";
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  if (/[\u0001-\u001f\u007f]/.test(pattern)) return "contains a control character";
  if (pattern.includes("\\")) return "contains a backslash (use / as separator)";
  if (pattern.startsWith("/") || /^[A-Za-z]:/.test(pattern) || pattern.startsWith("~")) return "is absolute (catalog paths are relative to the working directory)";
  if (pattern.split("/").some((seg) => seg === "..")) return "contains \"..\" (catalog paths cannot leave the working directory)";
  return undefined;
}

/** Structural checks of a whole graph; every problem is reported with its definition path. */
export function validateGraph(root: PipelineGraph): Problem[] {
  const problems: Problem[] = [];
  const add = (path: string, code: string, message: string) => problems.push({ path, code, message });

  function visitPipeline(p: PipelineGraph, what: string): void {
    if (p.steps.length === 0) add(p.path, "empty-pipeline", `${what} has no steps`);
    const seen = new Set<string>();
    p.steps.forEach((node, i) => {
      if (!STEP_NAME.test(node.name)) add(node.path, "invalid-name", `step name ${JSON.stringify(node.name)} must match ${STEP_NAME.source}`);
      if (seen.has(node.name)) add(node.path, "duplicate-name", `step name "${node.name}" is used twice in the same pipeline`);
      seen.add(node.name);
      if ((node.kind === "success" || node.kind === "fail") && i < p.steps.length - 1) {
        add(p.steps[i + 1]!.path, "unreachable", `step follows the terminal step "${node.name}" and can never run`);
      }
      visitNode(node);
    });
  }

  function visitNode(node: NodeGraph): void {
    if ("returns" in node) {
      const names = new Set<string>();
      for (const r of node.returns) {
        if (!PARAMETER_NAME.test(r.name)) add(node.path, "invalid-return", `return ${JSON.stringify(r.name)} is not a valid parameter name`);
        else {
          const reserved = reservedNameMessage("return", r.name);
          if (reserved) add(node.path, "reserved-name", reserved);
        }
        if (names.has(r.name)) add(node.path, "duplicate-return", `return "${r.name}" is declared twice`);
        names.add(r.name);
      }
    }
    if (node.kind === "function" || node.kind === "shell" || node.kind === "notebook") problems.push(...resourceProblems(node));
    if ((node.kind === "function" || node.kind === "shell" || node.kind === "notebook") && node.catalog) {
      for (const [stage, list] of [["get", node.catalog.get], ["put", node.catalog.put]] as const) {
        list.forEach((pattern, i) => {
          const why = catalogPatternProblem(pattern);
          if (why) add(node.path, "invalid-catalog-path", `catalog.${stage}[${i}] ${JSON.stringify(pattern)} ${why}`);
        });
      }
    }
    switch (node.kind) {
      case "parallel": {
        const keys = Object.keys(node.branches);
        if (keys.length === 0) add(node.path, "empty-branches", "Parallel has no branches");
        const owner = new Map<string, string>();
        for (const key of keys) {
          for (const name of pipelineReturns(node.branches[key]!)) {
            const other = owner.get(name);
            if (other !== undefined) {
              add(node.path, "parallel-return-clash", `return "${name}" is produced by both branch "${other}" and branch "${key}"`);
            } else owner.set(name, key);
          }
          visitPipeline(node.branches[key]!, `branch "${key}"`);
        }
        break;
      }
      case "conditional":
        if (Object.keys(node.branches).length === 0 && !node.default) add(node.path, "empty-branches", "Conditional has no branches and no default");
        for (const [key, b] of Object.entries(node.branches)) visitPipeline(b, `branch "${key}"`);
        if (node.default) visitPipeline(node.default, "default branch");
        break;
      case "map":
        if (node.iterateAs === node.iterateOn) add(node.path, "invalid-iterate-as", "iterateAs must differ from iterateOn");
        if (reservedNameMessage("iterateAs", node.iterateAs)) add(node.path, "reserved-name", reservedNameMessage("iterateAs", node.iterateAs)!);
        visitPipeline(node.branch, "Map branch");
        break;
      case "function": case "shell": case "notebook": case "stub": case "success": case "fail":
        break;
      default:
        assertNever(node);
    }
    if (node.onFailure) visitPipeline(node.onFailure, "onFailure pipeline");
  }

  visitPipeline(root, "pipeline");
  return problems;
}
