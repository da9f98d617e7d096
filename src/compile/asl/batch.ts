import type { TaskNode } from "../../graph/types.js";
import { PROTOCOL_VERSION } from "../../core/protocol.js";
import type { CompileContext, Scope } from "./context.js";
import { PLACEHOLDERS, catchTo, placeholder } from "./render.js";
import { stepRetriers } from "./task.js";
import type { TaskState, Transition } from "./types.js";

export const BATCH_SUBMIT_JOB_SYNC = "arn:aws:states:::batch:submitJob.sync";
/** Environment variable carrying the StepEvent (JSON text) to the Batch container entry point. */
export const BATCH_EVENT_ENV = "RUNNABLE_STEP_EVENT";
/** Batch defaults when the step sets no resources (the SDK's documented defaults). */
export const BATCH_DEFAULT_MEMORY_MIB = 2048;
export const BATCH_DEFAULT_VCPU = 1;
/** Batch refuses job timeouts under 60 s. */
const MIN_BATCH_TIMEOUT = 60;
/** A Batch job that fails (non-zero exit, job timeout) surfaces as States.TaskFailed. */
const BATCH_STEP_ERRORS = ["States.TaskFailed"];
const BATCH_SERVICE_RETRIER = { ErrorEquals: ["Batch.AWSBatchException", "Batch.ServerException"], IntervalSeconds: 2, MaxAttempts: 6, BackoffRate: 2 };

/**
 * The StepEvent as JSON text built by `States.Format`, since container overrides take strings and
 * ASL has no object-to-string on a payload template. Literal braces are escaped (`\{`); the
 * definition path needs no escaping (step names are `[A-Za-z0-9_-]`, plus "." and "*").
 */
export function batchEventFormat(path: string, scope: Scope): string {
  const indexes = scope.depth === 0 ? "[]" : "{}";
  const template = `\\{"v":${PROTOCOL_VERSION},"action":"task","runId":"{}","path":"${path}","indexes":${indexes},`
    + `"execution":"{}","retryCount":{}\\}`;
  const args = ["$.runId"];
  if (scope.depth > 0) {
    args.push(`States.JsonToString(States.Array(${Array.from({ length: scope.depth }, (_, k) => `$.i${k}`).join(", ")}))`);
  }
  args.push(scope.execution, "$$.State.RetryCount");
  return `States.Format('${template}', ${args.join(", ")})`;
}

/** compute "batch" → `batch:submitJob.sync` (forces a Standard workflow). The job description it returns is dropped. */
export function renderBatchTask(
  ctx: CompileContext, node: TaskNode, stateName: string, scope: Scope, o: { transition: Transition; catchTo: string | null },
): TaskState {
  ctx.syncSteps.push(node.path);
  return {
    Type: "Task",
    Resource: BATCH_SUBMIT_JOB_SYNC,
    Parameters: {
      JobName: stateName.replace(/[^A-Za-z0-9_-]/g, "_"),
      JobQueue: placeholder(ctx, PLACEHOLDERS.jobQueueArn),
      JobDefinition: placeholder(ctx, PLACEHOLDERS.jobDefinitionArn),
      ContainerOverrides: {
        Environment: [{ Name: BATCH_EVENT_ENV, "Value.$": batchEventFormat(node.path, scope) }],
        ResourceRequirements: [
          { Type: "VCPU", Value: String(node.vcpu ?? BATCH_DEFAULT_VCPU) },
          { Type: "MEMORY", Value: String(node.memoryMiB ?? BATCH_DEFAULT_MEMORY_MIB) },
        ],
      },
      ...(node.timeoutSeconds !== undefined
        ? { Timeout: { AttemptDurationSeconds: Math.max(MIN_BATCH_TIMEOUT, node.timeoutSeconds) } } : {}),
    },
    ResultPath: null,
    Retry: [BATCH_SERVICE_RETRIER, ...stepRetriers(node.retry, BATCH_STEP_ERRORS)],
    ...catchTo(o.catchTo),
    ...o.transition,
  };
}
