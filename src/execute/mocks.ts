import { suggest, walk, type RootGraph } from "../graph/index.js";
import { UsageError } from "../sdk/errors.js";
import type { JsonValue, StepFunction } from "../sdk/types.js";

/**
 * `mocks` of execute()/`--mock`, keyed by definition path (or by a step name only one task has),
 * checked against the graph: each must name a FunctionTask, ShellTask or NotebookTask (a mocked
 * notebook step needs no Jupyter). A value that is not a function becomes a function returning it.
 */
export function resolveMocks(graph: RootGraph, mocks: Record<string, StepFunction | JsonValue>): Map<string, StepFunction> {
  const tasks: string[] = [];
  const byName = new Map<string, string[]>();
  walk(graph, (n) => {
    if (n.kind !== "function" && n.kind !== "shell" && n.kind !== "notebook") return;
    tasks.push(n.path);
    byName.set(n.name, [...(byName.get(n.name) ?? []), n.path]);
  });
  const out = new Map<string, StepFunction>();
  for (const [key, value] of Object.entries(mocks)) {
    const paths = tasks.includes(key) ? [key] : byName.get(key) ?? [];
    if (paths.length !== 1) {
      const close = suggest(key, [...tasks, ...byName.keys()]);
      throw new UsageError(paths.length > 1
        ? `mock "${key}": ${paths.length} steps have that name (${paths.map((p) => `"${p}"`).join(", ")}): key the mock by step path`
        : `mock "${key}": no FunctionTask, ShellTask or NotebookTask has that step path or name${close ? ` (did you mean "${close}"?)` : ""}`);
    }
    out.set(paths[0]!, typeof value === "function" ? (value as StepFunction) : () => value);
  }
  return out;
}
