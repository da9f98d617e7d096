import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { UsageError } from "../sdk/errors.js";
import { isPipeline } from "../sdk/node.js";
import type { Pipeline } from "../sdk/pipeline.js";
import { isTask, jobExport, splitSpec } from "./job.js";
import { fallbackNameOf } from "./names.js";
import { formatSyntaxLocation, isSyntaxError, locateSyntaxError } from "./syntax.js";

/**
 * The one loader of pipeline files, used by the CLI, execute()/retry, the Lambda/Batch handlers, the
 * emulator's handler processes, `serve` and the CDK construct.
 *
 * Files are imported with tsx's `tsImport`, which compiles .ts/.mts/.cts (and loads .js/.mjs/.cjs)
 * as their package says — CommonJS package, ES module package or a folder with no package.json —
 * in a module namespace of its own. The file's `import "runnable-ts"` may therefore load a second
 * copy of this package: Pipelines and steps are recognised by brand and `kind`, never `instanceof`.
 */

/** A pipeline file, imported. */
export interface LoadedPipeline {
  pipeline: Pipeline;
  /** Absolute path of the file (recorded in the run header so `runnable retry` can load it again). */
  source: string;
  /** Name used when the Pipeline has none (see fallbackNameOf). */
  fallbackName: string;
}

/**
 * Imports a module file of any kind (see above); resolves to its module namespace. A job spec
 * `file.ts:name` resolves to `{ default: <that export as a Pipeline or task> }` (see job.ts).
 */
export async function importFile(spec: string): Promise<unknown> {
  const { file, exportName } = splitSpec(spec);
  const { tsImport } = await import("tsx/esm/api");
  const mod: unknown = await tsImport(pathToFileURL(resolve(file)).href, import.meta.url);
  return exportName === undefined ? mod : { default: jobExport(mod, exportName, file) };
}

/**
 * The Pipeline a module exports: its default export, a Pipeline or a (possibly async) function
 * returning one. A TypeScript file compiled to CommonJS keeps `export default` as `exports.default`,
 * which arrives one level down. Resolves to undefined when there is none.
 */
export async function pipelineFromModule(mod: unknown): Promise<Pipeline | undefined> {
  let value = defaultOf(mod);
  if (!isPipeline(value) && !isTask(value) && typeof value === "object" && value !== null && "default" in value) value = defaultOf(value);
  if (typeof value === "function" && !isPipeline(value)) value = await (value as () => unknown)();
  // A one-task job: the task as a one-step pipeline.
  if (isTask(value)) value = value.asPipeline();
  return isPipeline(value) ? value : undefined;
}

function defaultOf(mod: unknown): unknown {
  return typeof mod === "object" && mod !== null && "default" in mod ? mod.default : undefined;
}

/**
 * Imports a pipeline file and takes its default export. Errors thrown by step constructors while the
 * file loads (DefinitionError: exit code 2) propagate unchanged; a file that cannot load (syntax
 * error — located, with the source line —, missing import, throws on load) or exports no Pipeline
 * is a UsageError.
 */
export async function loadPipelineFile(file: string): Promise<LoadedPipeline> {
  const spec = splitSpec(file);
  const path = resolve(spec.file);
  if (!existsSync(path)) throw new UsageError(`pipeline file ${spec.file} does not exist`);
  // A job spec is kept whole: retries and the emulator's handler processes load the same export.
  const source = spec.exportName === undefined ? path : `${path}:${spec.exportName}`;
  let pipeline: Pipeline | undefined;
  try {
    pipeline = await pipelineFromModule(await importFile(source));
  } catch (error) {
    if (error instanceof Error && (error.name === "DefinitionError" || error.name === "UsageError")) throw error;
    throw new UsageError(`cannot load ${file}: ${await describeLoadError(error, path)}`, { cause: error });
  }
  if (!pipeline) {
    throw new UsageError(`${file} has no default export Pipeline (export default new Pipeline({ steps: [...] })), FunctionTask or ShellTask; run one exported function with ${spec.file}:<name>`);
  }
  return { pipeline, source, fallbackName: fallbackNameOf(source) };
}

/** The reason a module failed to load, in a line — or, for a syntax error, the located error block. */
export async function describeLoadError(error: unknown, source: string): Promise<string> {
  if (isSyntaxError(error)) {
    const location = await locateSyntaxError(error, source);
    if (location) return `syntax error\n${formatSyntaxLocation(location)}`;
  }
  const lines = (error instanceof Error ? error.message : String(error)).split("\n");
  // esbuild's "Transform failed with 1 error:" says nothing by itself: the error is on the next line.
  return (/^Transform failed/.test(lines[0] ?? "") ? lines[1] : lines[0]) ?? "";
}
