import type { StepAction } from "../../core/protocol.js";
import { PROTOCOL_VERSION } from "../../core/protocol.js";
import { addState, type CompileContext, type Scope } from "./context.js";
import type { StateInfo } from "./names.js";
import type { Catcher, Json, PayloadTemplate, Retrier, TaskState, Transition } from "./types.js";

/** Placeholders the deployment substitutes (CDK `definitionSubstitutions`). Stable names. */
export const PLACEHOLDERS = {
  stepFunctionArn: "StepFunctionArn",
  jobQueueArn: "JobQueueArn",
  jobDefinitionArn: "JobDefinitionArn",
  bucketName: "BucketName",
  /** Key prefix of the pipeline's runs in the bucket (on AWS `<prefix>pipelines/<name>/`, see src/store/keys.ts; "" in the emulator). */
  keyPrefix: "KeyPrefix",
} as const;
/**
 * A placeholder: one of PLACEHOLDERS, or one of them followed by `_<size>` for a resource that exists
 * once per size class (`JobDefinitionArn_v1m2048`).
 */
export type PlaceholderName = (typeof PLACEHOLDERS)[keyof typeof PLACEHOLDERS] | `${(typeof PLACEHOLDERS)[keyof typeof PLACEHOLDERS]}_${string}`;

export function placeholder(ctx: CompileContext, name: PlaceholderName): string {
  ctx.placeholders.add(name);
  return "${" + name + "}";
}

export const LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke";

/** Lambda's transient service errors, retried on every Lambda Task (AWS's recommended retrier). */
export const LAMBDA_SERVICE_ERRORS = [
  "Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException",
];
export const LAMBDA_RETRIER: Retrier = { ErrorEquals: LAMBDA_SERVICE_ERRORS, IntervalSeconds: 2, MaxAttempts: 6, BackoffRate: 2 };

/** Where a caught error is put: the one transient slot of the reference object. */
export const ERROR_SLOT = "$.r";

export function transitionTo(name: string): Transition {
  return { Next: name };
}

/** `Catch` sending every error to `target` with the error at `$.r`; none when there is no target. */
export function catchTo(target: string | null): { Catch?: Catcher[] } {
  return target ? { Catch: [{ ErrorEquals: ["States.ALL"], Next: target, ResultPath: ERROR_SLOT }] } : {};
}

/** The `i0 … i<depth-1>` map indexes as payload entries (copied from the state input). */
export function indexFields(depth: number): PayloadTemplate {
  const out: PayloadTemplate = {};
  for (let k = 0; k < depth; k++) out[`i${k}.$`] = `$.i${k}`;
  return out;
}

/** The reference object's fields to carry into a nested scope (Map ItemSelector, chunk Pass). */
export function refFields(scope: Scope): PayloadTemplate {
  return { "runId.$": "$.runId", ...(scope.execution === "$.x" ? { "x.$": "$.x" } : {}), ...indexFields(scope.depth) };
}

/** `indexes` of a StepEvent: a literal `[]` at depth 0, else built from the `i<k>` fields. */
export function indexesEntry(depth: number): PayloadTemplate {
  if (depth === 0) return { indexes: [] };
  const args = Array.from({ length: depth }, (_, k) => `$.i${k}`).join(", ");
  return { "indexes.$": `States.Array(${args})` };
}

/** A StepEvent (protocol v1) as a payload template: references only, never parameter values. */
export function stepEvent(action: StepAction, path: string, scope: Scope, extra: PayloadTemplate = {}): PayloadTemplate {
  return {
    v: PROTOCOL_VERSION,
    action,
    "runId.$": "$.runId",
    path,
    ...indexesEntry(scope.depth),
    "execution.$": scope.execution,
    "retryCount.$": "$$.State.RetryCount",
    ...(scope.redrive ? { "redriveCount.$": scope.redrive } : {}),
    ...extra,
  };
}

/** Step Functions' context path of an execution's redrive count (0 before its first redrive). */
export const REDRIVE_COUNT = "$$.Execution.RedriveCount";

/** The caught error (`$.r.Error`) as a StepEvent `error` field. The Cause is left out: it can exceed the protocol's bound. */
export const CAUGHT_ERROR: PayloadTemplate = { error: { "Error.$": "$.r.Error" } };

export interface LambdaTaskOptions {
  transition: Transition;
  /** Step retriers, after the Lambda service retrier. */
  retry?: Retrier[];
  catchTo?: string | null;
  /** Keep these StepResult fields (from `$.Payload`) at `$.r`; without it the result is dropped. */
  keep?: string[];
  /** Constant result put at `$.r` instead (used by Fail steps to raise their error). */
  constantResult?: { [key: string]: Json };
  timeoutSeconds?: number;
  /** The function's placeholder. Default `StepFunctionArn` (the default-size function, which runs every bookkeeping action). */
  functionName?: PlaceholderName;
}

/** A Task invoking the step handler with `event`; the state's output stays its input (+ `$.r`). */
export function lambdaTask(ctx: CompileContext, event: PayloadTemplate, o: LambdaTaskOptions): TaskState {
  const selector = o.constantResult ?? (o.keep ? Object.fromEntries(o.keep.map((k) => [`${k}.$`, `$.Payload.${k}`])) : undefined);
  return {
    Type: "Task",
    Resource: LAMBDA_INVOKE,
    Parameters: { FunctionName: placeholder(ctx, o.functionName ?? PLACEHOLDERS.stepFunctionArn), Payload: event },
    ...(selector ? { ResultSelector: selector, ResultPath: ERROR_SLOT } : { ResultPath: null }),
    ...(o.timeoutSeconds !== undefined ? { TimeoutSeconds: o.timeoutSeconds } : {}),
    Retry: [LAMBDA_RETRIER, ...(o.retry ?? [])],
    ...catchTo(o.catchTo ?? null),
    ...o.transition,
  };
}

/** Adds a handler Task for a bookkeeping action (start, nodeEnd, …) of a step. */
export function addHandlerTask(
  ctx: CompileContext, scope: Scope, name: string, info: StateInfo, event: PayloadTemplate, o: LambdaTaskOptions,
): string {
  return addState(ctx, scope, name, info, lambdaTask(ctx, event, o));
}
