import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildGraph, type BuiltPipeline } from "../src/graph/index.js";
import { fallbackNameOf, importFile, pipelineFromModule } from "../src/load/index.js";
import { inWorkingDir } from "../src/runtime/cwd.js";
import { SECRETS_FROM_ENV, awsSecretFetcher } from "../src/runtime/aws-secrets.js";
import type { SecretFetcher } from "../src/runtime/secrets.js";
import type { Pipeline } from "../src/sdk/pipeline.js";
import { createS3Client, pipelineScope, s3Stores } from "../src/store/index.js";
import type { Stores } from "../src/store/types.js";

/**
 * What every deployed entry point (Lambda, Batch container, emulator worker) shares: the pipeline
 * module is loaded and built once per process, stores come from the environment, and each
 * invocation works in a fresh directory that is removed afterwards.
 */

let stopping: AbortController | undefined;

/**
 * Aborted when this process gets SIGTERM — what AWS Batch sends a job's container when the job is
 * terminated, and the emulator sends its handler processes when a run is interrupted — so the
 * running step stops (its shell process group too) and its attempt is recorded `runnable.Interrupted`
 * before the process exits. Installed on first use: only entry points that ask for it.
 */
export function stopSignal(): AbortSignal {
  if (!stopping) {
    const controller = new AbortController();
    stopping = controller;
    process.once("SIGTERM", () => {
      const err = new Error("the handler process got SIGTERM (the run was interrupted)");
      err.name = "runnable.Interrupted";
      controller.abort(err);
    });
  }
  return stopping.signal;
}

/** Loads the pipeline module: anything with a default export that is a Pipeline or a function returning one. */
export type PipelineLoader = () => Promise<unknown>;

/** Environment variables the handlers read. */
export const ENV = {
  /** S3 bucket holding `runs/` and `catalog/`. Required. */
  bucket: "RUNNABLE_BUCKET",
  /** Optional key prefix inside the bucket. */
  prefix: "RUNNABLE_PREFIX",
  /** Optional S3 endpoint (a local s3rver in the emulator and tests). */
  endpoint: "RUNNABLE_S3_ENDPOINT",
  /** "1" when the endpoint honours `If-None-Match: *` atomically (the emulator's own server): create-only writes skip their HEAD. */
  conditionalWrites: "RUNNABLE_S3_CONDITIONAL_WRITES",
  /** Pipeline file imported by the generic `handler` exports. */
  pipelineFile: "RUNNABLE_PIPELINE_FILE",
  /** Pipeline name used when the Pipeline has none (the CLI uses the file's folder name). */
  pipelineName: "RUNNABLE_PIPELINE_NAME",
  /** The stack's state machines, JSON pipeline name → ARN (API and finaliser Lambdas). */
  stateMachines: "RUNNABLE_STATE_MACHINES",
} as const;

/**
 * Pipeline name by state machine ARN, from `RUNNABLE_STATE_MACHINES` (JSON name → ARN, set by the
 * stack): how the finaliser knows which pipeline's key scope an execution's run lives in.
 */
export function pipelinesByStateMachine(env: NodeJS.ProcessEnv = process.env): ReadonlyMap<string, string> {
  const parsed = JSON.parse(env[ENV.stateMachines] ?? "{}") as unknown;
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed) || !Object.values(parsed).every((v) => typeof v === "string")) {
    throw new Error(`${ENV.stateMachines} must be a JSON object of pipeline name → state machine ARN`);
  }
  return new Map(Object.entries(parsed as Record<string, string>).map(([name, arn]) => [arn, name]));
}

/**
 * Builds S3 stores from `RUNNABLE_BUCKET`, `RUNNABLE_PREFIX`, `AWS_REGION`, `RUNNABLE_S3_ENDPOINT`
 * (and `RUNNABLE_S3_CONDITIONAL_WRITES`).
 * Made once per container: the run-log store keeps the create-only records it has read or written,
 * so a warm container reads each record once.
 */
export function storesFromEnv(env: NodeJS.ProcessEnv = process.env): Stores {
  const bucket = env[ENV.bucket];
  if (!bucket) throw new Error(`${ENV.bucket} is not set: the step handler needs the bucket holding runs/ and catalog/`);
  const endpoint = env[ENV.endpoint] || undefined;
  const prefix = env[ENV.prefix] || undefined;
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined;
  const conditionalWrites = env[ENV.conditionalWrites] === "1";
  return s3Stores({
    bucket, ...(prefix ? { prefix } : {}), ...(endpoint ? { endpoint } : {}), ...(region ? { region } : {}),
    ...(conditionalWrites ? { conditionalWrites } : {}),
  });
}

/**
 * Stores per pipeline key scope, for the API Lambda (which serves every pipeline of the stack):
 * `RUNNABLE_PREFIX` is the bucket's prefix, each pipeline's runs live under
 * `<prefix>pipelines/<name>/`. One S3 client; each pipeline's stores made once.
 */
export function pipelineStoresFromEnv(env: NodeJS.ProcessEnv = process.env): (pipeline: string) => Stores {
  const bucket = env[ENV.bucket];
  if (!bucket) throw new Error(`${ENV.bucket} is not set: the API needs the bucket holding the runs`);
  const endpoint = env[ENV.endpoint] || undefined;
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined;
  const prefix = env[ENV.prefix] ? `${env[ENV.prefix]!.replace(/\/+$/, "")}/` : "";
  const client = createS3Client({ ...(endpoint ? { endpoint } : {}), ...(region ? { region } : {}) });
  const made = new Map<string, Stores>();
  return (pipeline) => {
    let stores = made.get(pipeline);
    if (!stores) made.set(pipeline, (stores = s3Stores({ bucket, client, prefix: prefix + pipelineScope(pipeline) })));
    return stores;
  };
}

/** Turns a loaded module into a Pipeline: its default export is a Pipeline or a (possibly async) function returning one. */
/** Where declared secrets the environment lacks are read: AWS when the construct set `RUNNABLE_SECRETS_FROM=aws`, else nowhere (they must be set). */
export function secretFetcherFromEnv(env: NodeJS.ProcessEnv = process.env): SecretFetcher | undefined {
  return env[SECRETS_FROM_ENV] === "aws" ? awsSecretFetcher() : undefined;
}

export async function pipelineOf(mod: unknown, where: string): Promise<Pipeline> {
  const pipeline = await pipelineFromModule(mod);
  if (!pipeline) throw new Error(`${where}: the default export is not a Pipeline (nor a function returning one)`);
  return pipeline;
}

/** The pipeline name fallback: `RUNNABLE_PIPELINE_NAME`, else the name the CLI gives the pipeline file (fallbackNameOf). */
export function fallbackNameFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env[ENV.pipelineName]) return env[ENV.pipelineName];
  const file = env[ENV.pipelineFile];
  return file ? fallbackNameOf(file) : undefined;
}

/** Loads and builds the pipeline once per process (per Lambda container); later calls reuse it. */
export function cachedPipeline(load: PipelineLoader, fallbackName: () => string | undefined): () => Promise<BuiltPipeline> {
  let built: Promise<BuiltPipeline> | undefined;
  return () => {
    built ??= (async () => {
      const pipeline = await pipelineOf(await load(), "pipeline module");
      const name = fallbackName();
      // Sources are not analysed here: the run was checked where it was created (see BuildOptions).
      return buildGraph(pipeline, { analyseSources: false, ...(name ? { fallbackName: name } : {}) });
    })();
    // A failed load is not cached: the next invocation tries again (and reports the same error).
    built.catch(() => { built = undefined; });
    return built;
  };
}

/** The generic loader: imports `RUNNABLE_PIPELINE_FILE`. */
export function envFileLoader(env: NodeJS.ProcessEnv = process.env): PipelineLoader {
  return async () => {
    const file = env[ENV.pipelineFile];
    if (!file) throw new Error(`${ENV.pipelineFile} is not set: it names the pipeline file to load`);
    return importFile(file);
  };
}

/**
 * Runs `work` in a fresh directory under the temp dir, with the process's working directory set
 * to it (functions read and write relative paths). Invocations in one process run one at a time
 * (src/runtime/cwd.ts), as in a Lambda container. The directory is removed afterwards.
 */
export async function inFreshDir<T>(work: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "runnable-step-"));
  try {
    return await inWorkingDir(dir, () => work(dir));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** An error with an ASL-facing name (`runnable.BadEvent`, …). */
export function namedError(name: string, message: string, cause?: unknown): Error {
  const err = new Error(message, cause === undefined ? undefined : { cause });
  err.name = name;
  return err;
}
