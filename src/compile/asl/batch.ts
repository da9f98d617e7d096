import { BATCH_DEFAULT_SIZE, fargateSize, resourceProblems, type FargateSize } from "../../graph/resources.js";
import type { TaskNode } from "../../graph/types.js";
import { PROTOCOL_VERSION } from "../../core/protocol.js";
import type { CompileContext, Scope } from "./context.js";
import { PLACEHOLDERS, catchTo, placeholder, type PlaceholderName } from "./render.js";
import { TIMEOUT_GRACE_SECONDS } from "../sizing.js";
import { stepRetriers } from "./task.js";
import type { TaskState, Transition } from "./types.js";

export const BATCH_SUBMIT_JOB_SYNC = "arn:aws:states:::batch:submitJob.sync";
/** Environment variable carrying the StepEvent (JSON text) to the Batch container entry point. */
export const BATCH_EVENT_ENV = "RUNNABLE_STEP_EVENT";
/** A Batch job that fails (non-zero exit, job timeout) surfaces as States.TaskFailed. */
const BATCH_STEP_ERRORS = ["States.TaskFailed"];
const BATCH_SERVICE_RETRIER = { ErrorEquals: ["Batch.AWSBatchException", "Batch.ServerException"], IntervalSeconds: 2, MaxAttempts: 6, BackoffRate: 2 };

/**
 * The StepEvent as JSON text built by `States.Format`, since container overrides take strings and
 * ASL has no object-to-string on a payload template. Literal braces are escaped (`\{`); the
 * definition path needs no escaping (step names are `[A-Za-z0-9_-]`, plus "." and "*"). The map
 * indexes are placed one by one (`[{},{}]` with `$.i0, $.i1`): every argument is a path, as
 * States.Format documents, with no intrinsic nested inside another.
 */
export function batchEventFormat(path: string, scope: Scope): string {
  const indexes = `[${Array.from({ length: scope.depth }, () => "{}").join(",")}]`;
  const template = `\\{"v":${PROTOCOL_VERSION},"action":"task","runId":"{}","path":"${path}","indexes":${indexes},`
    + `"execution":"{}","retryCount":{}${scope.redrive ? ',"redriveCount":{}' : ""}\\}`;
  const args = ["$.runId", ...Array.from({ length: scope.depth }, (_, k) => `$.i${k}`), scope.execution, "$$.State.RetryCount", ...(scope.redrive ? [scope.redrive] : [])];
  return `States.Format('${template}', ${args.join(", ")})`;
}

/**
 * The placeholder of a job definition of one Fargate size: the stack registers one job definition per
 * size the pipeline uses (a job definition must itself be a valid size, so sizes are never mixed).
 */
export function jobDefinitionPlaceholder(size: FargateSize): PlaceholderName {
  const vcpu = String(size.vcpu).replace(".", "_");
  return `${PLACEHOLDERS.jobDefinitionArn}_v${vcpu}m${size.memoryMiB}${size.ephemeralStorageMiB !== undefined ? `s${size.ephemeralStorageMiB}` : ""}`;
}

/**
 * compute "batch" → `batch:submitJob.sync` (forces a Standard workflow) on the job definition of the
 * step's Fargate size. The job description it returns is dropped.
 */
export function renderBatchTask(
  ctx: CompileContext, node: TaskNode, stateName: string, scope: Scope, o: { transition: Transition; catchTo: string | null },
): TaskState {
  ctx.syncSteps.push(node.path);
  // Step sizes were validated with the graph; what is left is batch defaults given to compile().
  const size = fargateSize(node, ctx.batchDefaults) ?? BATCH_DEFAULT_SIZE;
  if (!fargateSize(node, ctx.batchDefaults)) {
    ctx.problems.push(...resourceProblems(node, ctx.batchDefaults));
  }
  const jobDefinition = jobDefinitionPlaceholder(size);
  const group = ctx.jobDefinitions.get(jobDefinition) ?? { ...size, steps: [] };
  group.steps.push(node.path);
  ctx.jobDefinitions.set(jobDefinition, group);
  return {
    Type: "Task",
    Resource: BATCH_SUBMIT_JOB_SYNC,
    Parameters: {
      JobName: stateName.replace(/[^A-Za-z0-9_-]/g, "_"),
      JobQueue: placeholder(ctx, PLACEHOLDERS.jobQueueArn),
      JobDefinition: placeholder(ctx, jobDefinition),
      ContainerOverrides: {
        Environment: [{ Name: BATCH_EVENT_ENV, "Value.$": batchEventFormat(node.path, scope) }],
        ResourceRequirements: [
          { Type: "VCPU", Value: String(size.vcpu) },
          { Type: "MEMORY", Value: String(size.memoryMiB) },
        ],
      },
      // The handler enforces timeoutSeconds and records the timed-out attempt; the job's own timeout
      // is the backstop with the same grace as a Lambda step's, so the job is not killed first.
      ...(node.timeoutSeconds !== undefined
        ? { Timeout: { AttemptDurationSeconds: node.timeoutSeconds + TIMEOUT_GRACE_SECONDS } } : {}),
    },
    ResultPath: null,
    Retry: [BATCH_SERVICE_RETRIER, ...stepRetriers(node.retry, BATCH_STEP_ERRORS)],
    ...catchTo(o.catchTo),
    ...o.transition,
  };
}
