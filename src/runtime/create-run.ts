import path from "node:path";
import { fileURLToPath } from "node:url";
import type { BuiltPipeline } from "../graph/build.js";
import { checkParameterFlow } from "../graph/flow.js";
import { DefinitionError } from "../sdk/errors.js";
import type { JsonValue } from "../sdk/types.js";
import type { RunHeader, Stores } from "../store/types.js";
import { codeIdentity } from "./identity.js";
import { checkRunId, newRunId } from "./run-id.js";
import { checkParameterNames } from "./parameters.js";
import { maskParameters, readSecrets } from "./secrets.js";
import { type ParameterInput, validateParameters } from "./typed-parameters.js";

export { validateParameters, type ParameterInput } from "./typed-parameters.js";

export interface CreateRunOptions {
  built: BuiltPipeline;
  /** Initial parameters, folded (foldParameters/resolveParameters); validated here when the pipeline has a schema. */
  parameters: Record<string, JsonValue>;
  /** Raw text of parameters given as text (`-p`, `RUNNABLE_PRM_`), for the schema to coerce. */
  texts?: Record<string, string>;
  /** true when `parameters` are already the schema's output (the runs API validates before its repeat check). */
  parametersValidated?: boolean;
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
  /**
   * Names of the secrets the steps will get (providers of FunctionTask reads). Default: the
   * `RUNNABLE_SECRET_<name>` variables of this process (local runs; emulator handler processes
   * inherit them); "unknown" for mode "aws" (the step Lambdas' environment is not this one's).
   */
  secrets?: Iterable<string> | "unknown";
  /** The run root (e.g. ".runnable"): files appearing there are runs' output, never code. Default: the run-log store's folder when it is one. */
  root?: string;
}

/** The run's parameters: the schema's output when the pipeline has one (ParameterError when they do not fit), else as given. */
export async function validatedParameters(options: Pick<CreateRunOptions, "built" | "parameters" | "texts" | "parametersValidated">): Promise<Record<string, JsonValue>> {
  if (options.parametersValidated) return options.parameters;
  const input: ParameterInput = { values: options.parameters, ...(options.texts ? { texts: options.texts } : {}) };
  if (options.built.schema) return validateParameters(options.built.schema, input);
  // Never skip a schema silently: a graph that says it has one must be validated by it.
  if (options.built.graph.parameters) throw new Error(`pipeline "${options.built.graph.name}" has a parameters schema, but it is not loaded here to validate the parameters`);
  return options.parameters;
}

/** Folders runs write to: the run root given, and the store's own folder when it is a directory. */
function excludedFromIdentity(stores: Stores, root: string | undefined): string[] {
  const out = root !== undefined ? [path.resolve(root)] : [];
  const location = stores.blob.location;
  if (location.startsWith("file://")) out.push(fileURLToPath(location));
  return out;
}

/**
 * Checks that no parameter has a reserved name (UsageError), validates the parameters (schema), then
 * checks the parameter flow with them — every name a step reads (FunctionTask arguments, Map
 * iterateOn, Conditional parameter) is provided on every path to it — throwing DefinitionError
 * before anything is written, then writes the run header. The code identity is taken from the
 * pipeline file's folder (else the working directory).
 */
export async function createRun(stores: Stores, options: CreateRunOptions): Promise<RunHeader> {
  const runId = options.runId === undefined ? newRunId(options.now) : checkRunId(options.runId);
  checkParameterNames(options.parameters);
  const parameters = await validatedParameters(options);
  const problems = checkParameterFlow(options.built.graph, {
    parameters: Object.keys(parameters),
    secrets: options.secrets ?? (options.mode === "aws" ? "unknown" : Object.keys(readSecrets().values)),
  });
  if (problems.length) throw new DefinitionError(problems);
  const header: RunHeader = {
    runId,
    pipeline: options.built.graph.name,
    tag: options.tag ?? "",
    startedAt: (options.now ?? new Date()).toISOString(),
    dagHash: options.built.graph.dagHash,
    // Already masked when folded by resolveParameters; parameters that arrive another way (runs API,
    // serve) must not carry a secret into the header either.
    parameters: maskParameters(parameters),
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
