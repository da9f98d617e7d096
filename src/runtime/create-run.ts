import path from "node:path";
import { fileURLToPath } from "node:url";
import type { BuiltPipeline } from "../graph/build.js";
import { validateReferences } from "../graph/validate.js";
import { DefinitionError } from "../sdk/errors.js";
import type { JsonValue } from "../sdk/types.js";
import type { RunHeader, Stores } from "../store/types.js";
import { codeIdentity } from "./identity.js";
import { checkRunId, newRunId } from "./run-id.js";
import { checkParameterNames } from "./parameters.js";
import { maskParameters } from "./secrets.js";

export interface CreateRunOptions {
  built: BuiltPipeline;
  /** Initial parameters, already folded by resolveParameters. */
  parameters: Record<string, JsonValue>;
  /** Run id; generated when absent. Refused (RunExistsError) when it exists. */
  runId?: string;
  /** Free-form label. Default "". */
  tag?: string;
  /** Absolute path of the pipeline file, kept so `runnable retry` can load it again. */
  source?: string;
  /** Recorded in the header: "local", "emulator", or "aws" (started through the deployed runs API). */
  mode: NonNullable<RunHeader["mode"]>;
  /** Clock. Default `new Date()`. */
  now?: Date;
  /** The run root (e.g. ".runnable"): files appearing there are runs' output, never code. Default: the run-log store's folder when it is one. */
  root?: string;
}

/** Folders runs write to: the run root given, and the store's own folder when it is a directory. */
function excludedFromIdentity(stores: Stores, root: string | undefined): string[] {
  const out = root !== undefined ? [path.resolve(root)] : [];
  const location = stores.blob.location;
  if (location.startsWith("file://")) out.push(fileURLToPath(location));
  return out;
}

/**
 * Checks that no parameter has a reserved name (UsageError) and that every Map/Conditional reference
 * resolves with these initial parameters (DefinitionError), before anything is written; then writes
 * the run header. The code identity is taken from the
 * pipeline file's folder (else the working directory).
 */
export async function createRun(stores: Stores, options: CreateRunOptions): Promise<RunHeader> {
  const runId = options.runId === undefined ? newRunId(options.now) : checkRunId(options.runId);
  checkParameterNames(options.parameters);
  const problems = validateReferences(options.built.graph, Object.keys(options.parameters));
  if (problems.length) throw new DefinitionError(problems);
  const header: RunHeader = {
    runId,
    pipeline: options.built.graph.name,
    tag: options.tag ?? "",
    startedAt: (options.now ?? new Date()).toISOString(),
    dagHash: options.built.graph.dagHash,
    // Already masked when folded by resolveParameters; parameters that arrive another way (runs API,
    // serve) must not carry a secret into the header either.
    parameters: maskParameters(options.parameters),
    codeIdentity: codeIdentity({
      dir: options.source ? path.dirname(options.source) : process.cwd(),
      ...(options.source ? { file: options.source } : {}),
      exclude: excludedFromIdentity(stores, options.root),
    }),
    ...(options.source ? { source: options.source } : {}),
    mode: options.mode,
  };
  await stores.runLog.createRun(header, options.built.graph);
  return header;
}
