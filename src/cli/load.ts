import { existsSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { DefinitionError, UsageError } from "../sdk/errors.js";
import { isPipeline } from "../sdk/node.js";
import type { Pipeline } from "../sdk/pipeline.js";

/** A pipeline file, imported. */
export interface LoadedPipeline {
  pipeline: Pipeline;
  /** Absolute path of the file (recorded in the run header so `runnable retry` can load it again). */
  source: string;
  /** Name used when the Pipeline has none: the folder name for `pipeline.ts`, else the file's base name. */
  fallbackName: string;
}

/**
 * Imports a pipeline file and takes its default export: a Pipeline, or a (possibly async) function
 * returning one. DefinitionErrors thrown by step constructors while importing propagate unchanged
 * (the CLI maps them to exit code 2); anything else that is not a Pipeline is a UsageError.
 */
export async function loadPipeline(file: string): Promise<LoadedPipeline> {
  const source = resolve(file);
  if (!existsSync(source)) throw new UsageError(`pipeline file ${file} does not exist`);
  let value: unknown;
  try {
    const mod = (await import(pathToFileURL(source).href)) as { default?: unknown };
    value = mod.default;
    if (typeof value === "function" && !isPipeline(value)) value = await (value as () => unknown)();
  } catch (error) {
    if (error instanceof DefinitionError || (error instanceof Error && error.name === "DefinitionError")) throw error;
    // The file itself is broken (syntax error, missing import, throws on load): nothing can run.
    const why = error instanceof Error ? error.message : String(error);
    throw new UsageError(`cannot load ${file}: ${why.split("\n")[0]}`, { cause: error });
  }
  if (!isPipeline(value)) throw new UsageError(`${file} has no default export Pipeline (export default new Pipeline({ steps: [...] }))`);
  return { pipeline: value, source, fallbackName: fallbackNameOf(source) };
}

/** `examples/ml-pipeline/pipeline.ts` → "ml-pipeline"; `flows/nightly.ts` → "nightly". */
export function fallbackNameOf(file: string): string {
  const base = basename(file).replace(/\.[cm]?[jt]sx?$/, "");
  const name = base === "pipeline" ? basename(dirname(resolve(file))) : base;
  // Folder/file names may hold characters step names cannot; keep the name valid rather than fail on it.
  const cleaned = name.replace(/[^A-Za-z0-9_-]/g, "_").replace(/^[^A-Za-z]+/, "").slice(0, 64);
  return cleaned || "pipeline";
}

/** The `parameters.yaml` (or .yml/.json) beside a pipeline file, used when `--parameters` is not given. */
export function defaultParametersFile(source: string): string | undefined {
  for (const name of ["parameters.yaml", "parameters.yml", "parameters.json"]) {
    const candidate = join(dirname(source), name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}
