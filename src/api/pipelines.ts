import { readFileSync, readdirSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join } from "node:path";
import { defaultParametersFile, loadPipelineFile } from "../load/index.js";
import { type BuiltPipeline, buildGraph } from "../graph/index.js";
import { resolveParameters } from "../runtime/parameters.js";
import type { Pipeline } from "../sdk/pipeline.js";
import type { JsonValue } from "../sdk/types.js";

/**
 * Pipelines as the runs API (and the CDK stack) see them: each file imported and built once, with
 * the name an unnamed Pipeline gets from the CLI and the parameters of its default parameters file.
 */

/** A pipeline file to serve or deploy. */
export interface PipelineFileEntry {
  /** Path of the pipeline module (default export: a Pipeline or a function returning one). */
  file: string;
  /** Name used when the Pipeline has none. Default: as the CLI (the folder name for `pipeline.ts`, else the file name). */
  name?: string;
  /**
   * Packages the pipeline loads at run time with `require()` (not bundled by esbuild, e.g. wasm
   * modules such as `ml-xgboost`): copied beside the Lambda bundle. Default: the packages named by
   * literal `require("…")` calls in the .ts/.js files of the pipeline's folder.
   */
  nodeModules?: string[];
}

/** A pipeline loaded and built at synth time: what the construct deploys. */
export interface PipelineSource {
  /** Absolute path of the pipeline module. */
  file: string;
  /** The name given to an unnamed Pipeline (kept identical in the Lambda so dagHashes match). */
  fallbackName: string;
  built: BuiltPipeline;
  /** The Pipeline itself (what a retry of one of its runs runs again). */
  pipeline: Pipeline;
  /** Parameters of the pipeline's default parameters file, used by API-started runs. */
  defaults: Record<string, JsonValue>;
  nodeModules: string[];
}

/** Imports and builds each pipeline file (they must have distinct pipeline names). */
export async function loadPipelineSources(entries: readonly (string | PipelineFileEntry)[]): Promise<PipelineSource[]> {
  const out: PipelineSource[] = [];
  for (const e of entries) {
    const entry = typeof e === "string" ? { file: e } : e;
    const loaded = await loadPipelineFile(entry.file);
    const fallbackName = entry.name ?? loaded.fallbackName;
    const built = buildGraph(loaded.pipeline, { fallbackName });
    const paramsFile = defaultParametersFile(loaded.source);
    // RUNNABLE_PRM_ variables of the machine that loads the pipelines must not leak into its defaults.
    const defaults = paramsFile ? resolveParameters({ parametersFile: paramsFile, env: {} }) : {};
    out.push({ file: loaded.source, fallbackName, built, pipeline: loaded.pipeline, defaults, nodeModules: entry.nodeModules ?? runtimeRequires(dirname(loaded.source)) });
  }
  const names = out.map((s) => s.built.graph.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new Error(`two pipeline files define the pipeline name "${dup}": names must be unique per deployment (they are API route names)`);
  return out;
}

/**
 * Packages required at run time (`require("pkg")`, usually through `createRequire`) by the files of
 * a pipeline folder. esbuild leaves such calls alone, so the packages must ship beside the bundle.
 */
export function runtimeRequires(dir: string): string[] {
  const found = new Set<string>();
  for (const f of readdirSync(dir)) {
    if (!/\.[cm]?[jt]s$/.test(f)) continue;
    for (const m of readFileSync(join(dir, f), "utf8").matchAll(/\brequire\(\s*["']([^"'.\/][^"']*)["']\s*\)/g)) {
      const spec = m[1]!;
      const name = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!;
      if (!spec.startsWith("node:") && !builtinModules.includes(name)) found.add(name);
    }
  }
  return [...found].sort();
}
