import type { BuiltPipeline } from "../../graph/build.js";
import { walk } from "../../graph/paths.js";
import type { NotebookNode } from "../../graph/types.js";
import { DefinitionError, type Problem } from "../../sdk/errors.js";
import { findJupyter } from "./jupyter.js";
import { notebookFile, readNotebook } from "./notebook-file.js";

/** Every NotebookTask of a pipeline, in branches, maps and onFailure pipelines too. */
export function notebookSteps(built: BuiltPipeline): NotebookNode[] {
  const out: NotebookNode[] = [];
  walk(built.graph, (n) => {
    if (n.kind === "notebook") out.push(n);
  });
  return out;
}

/**
 * The parameters each notebook step takes: the names its `parameters` cell assigns (definition path
 * → names), read from the notebook files. They all have defaults in that cell, so none is *required*:
 * a static parameter-flow check must not demand them (`runnable run --help` can list them).
 * A notebook that cannot be read is left out (checkNotebookSteps reports it).
 */
export async function notebookParameters(built: BuiltPipeline, workDir: string = process.cwd()): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const node of notebookSteps(built)) {
    const shape = await readNotebook(node.path, notebookFile(node, built.nodes.get(node.path), workDir)).catch(() => undefined);
    if (shape) out.set(node.path, shape.parameters);
  }
  return out;
}

/**
 * Checks, before a run starts on this machine (local or emulator), that every notebook step can
 * run here: its notebook exists and is an nbformat 4 notebook (DefinitionError listing them), and
 * Jupyter with its kernel is installed (NotebookSetupError with the install command). Both exit 2.
 * Costs nothing for pipelines without notebook steps; one Python start per kernel otherwise.
 * Steps in `mocked` (definition paths) still need a readable notebook, but no Jupyter.
 */
export async function checkNotebookSteps(built: BuiltPipeline, workDir: string = process.cwd(), mocked?: ReadonlyMap<string, unknown>): Promise<void> {
  const steps = notebookSteps(built);
  if (steps.length === 0) return;
  const problems: Problem[] = [];
  for (const node of steps) {
    try {
      await readNotebook(node.path, notebookFile(node, built.nodes.get(node.path), workDir));
    } catch (e) {
      problems.push({ path: node.path, code: "invalid-notebook", message: (e as Error).message.replace(`step "${node.path}": `, "") });
    }
  }
  if (problems.length) throw new DefinitionError(problems);
  const byKernel = new Map<string, string>();
  for (const node of steps) if (!mocked?.has(node.path) && !byKernel.has(node.kernel)) byKernel.set(node.kernel, node.path);
  for (const [kernel, step] of byKernel) await findJupyter(step, kernel);
}
