import { handleStepEvent } from "../src/runtime/step-event.js";
import { ERRORS, parseStepEvent, type StepResult } from "../src/runtime/protocol.js";
import { answerValidateParameters, isValidateParametersEvent, type ValidateParametersAnswer } from "../src/runtime/typed-parameters.js";
import type { Stores } from "../src/store/types.js";
import { StepFailure } from "../src/sdk/errors.js";
import {
  cachedPipeline, envFileLoader, fallbackNameFromEnv, inFreshDir, secretFetcherFromEnv, storesFromEnv, type PipelineLoader,
} from "./shared.js";

/**
 * The Lambda step handler: Step Functions calls it (through `arn:aws:states:::lambda:invoke`) with
 * a `StepEvent` — references only: run id, definition path, map indexes, execution name, retry
 * count — and gets back a small `StepResult`. Everything else (parameters, files, objects) moves
 * through the S3 stores. Kept small and free of dev-only imports: it is bundled with esbuild.
 */

/** The part of the Lambda context the handler uses. */
export interface LambdaContextLike {
  getRemainingTimeInMillis(): number;
  awsRequestId?: string;
}

/** Options of `makeStepHandler`. */
export interface StepHandlerOptions {
  /** Stores to use. Default: S3 stores from `RUNNABLE_BUCKET`/`RUNNABLE_PREFIX`/`AWS_REGION`/`RUNNABLE_S3_ENDPOINT`, made once per container. */
  stores?: Stores;
  /** Name used when the Pipeline has none. Default `RUNNABLE_PIPELINE_NAME`, else the folder of `RUNNABLE_PIPELINE_FILE`. */
  pipelineName?: string;
  /**
   * Time kept back from the Lambda's remaining time so a step that runs too long is failed and
   * recorded (`runnable.Timeout`) before the Lambda is killed (the runtime keeps another second for the record). Default 500 ms, at most 20% of the remaining time.
   */
  safetyMarginMs?: number;
  /** Clock, for tests. Default `Date.now`. */
  now?: () => number;
  /** Interrupts the running step (the emulator's worker processes: SIGTERM, see shared.ts stopSignal). */
  signal?: AbortSignal;
}

export type StepHandler = (event: unknown, context: LambdaContextLike) => Promise<StepResult>;

/** The step deadline (epoch ms): the Lambda's remaining time minus a safety margin. */
export function stepDeadline(context: LambdaContextLike, now: number, marginMs = 500): number {
  const remaining = context.getRemainingTimeInMillis();
  return now + remaining - Math.min(marginMs, Math.floor(remaining * 0.2));
}

/** Builds a Lambda handler for the pipeline module that `loadPipeline` returns. */
export function makeStepHandler(loadPipeline: PipelineLoader, options: StepHandlerOptions = {}): StepHandler {
  const built = cachedPipeline(loadPipeline, () => options.pipelineName ?? fallbackNameFromEnv());
  let stores = options.stores;
  const now = options.now ?? Date.now;
  // One per container, so secret values read from AWS are reused across invocations (for a while).
  const fetchSecrets = secretFetcherFromEnv();
  return async (event, context) => {
    // Bad events are not retryable: report them before touching the store or the pipeline.
    const parsed = parseStepEvent(event);
    if (typeof context?.getRemainingTimeInMillis !== "function") {
      throw new StepFailure(ERRORS.badEvent, "the step handler needs a Lambda context (getRemainingTimeInMillis)");
    }
    const deadline = stepDeadline(context, now(), options.safetyMarginMs);
    stores ??= storesFromEnv();
    const pipeline = await built();
    const useStores = stores;
    return inFreshDir((workDir) =>
      handleStepEvent(parsed, { built: pipeline, stores: useStores, workDir, deadline, now: () => new Date(now()), ...(fetchSecrets ? { fetchSecrets } : {}), ...(options.signal ? { signal: options.signal } : {}) }));
  };
}

/**
 * The step Lambda's handler: step events from Step Functions, and the runs API's parameters
 * validation (the pipeline's schema is bundled here only), answered before any run exists.
 */
export function makeLambdaHandler(loadPipeline: PipelineLoader, options: StepHandlerOptions = {}): (event: unknown, context: LambdaContextLike) => Promise<StepResult | ValidateParametersAnswer> {
  const step = makeStepHandler(loadPipeline, options);
  const built = cachedPipeline(loadPipeline, () => options.pipelineName ?? fallbackNameFromEnv());
  return async (event, context) => (isValidateParametersEvent(event) ? answerValidateParameters((await built()).schema, event) : step(event, context));
}

/** The generic Lambda entry: loads the pipeline file named by `RUNNABLE_PIPELINE_FILE`. */
export const handler = makeLambdaHandler(envFileLoader());
