import { LAMBDA_LIMITS } from "../../graph/aws-limits.js";
import type { RetrySpec, TaskNode } from "../../graph/types.js";
import { ERRORS } from "../../core/protocol.js";
import { renderBatchTask } from "./batch.js";
import { addState, type CompileContext, type NodeExits, type Scope } from "./context.js";
import { taskFailureRoute } from "./failure.js";
import { functionPlaceholder, stepSpec, TIMEOUT_GRACE_SECONDS } from "../sizing.js";
import { lambdaTask, stepEvent } from "./render.js";
import type { Retrier } from "./types.js";

/** Lambda's hard limit on one invocation (checked with the graph: src/graph/aws-limits.ts). */
export const MAX_LAMBDA_SECONDS = LAMBDA_LIMITS.timeoutSeconds.max;
/**
 * TIMEOUT_GRACE_SECONDS: seconds the Task waits beyond the step's timeoutSeconds. The handler enforces
 * the step's timeout itself and records the attempt before failing with runnable.Timeout; the state's
 * TimeoutSeconds is only the backstop for a handler that never answers.
 */
export { TIMEOUT_GRACE_SECONDS };

/**
 * Errors the step's own retry policy applies to on Lambda: the step failed or timed out — including
 * a handler Lambda killed at its own timeout (`Sandbox.Timedout`) or dying otherwise, e.g. out of
 * memory (`Lambda.Unknown`), before it could record the failure itself.
 */
export const STEP_RETRY_ERRORS = [ERRORS.stepFailed, ERRORS.timeout, "States.Timeout", "Sandbox.Timedout", "Lambda.Unknown"];

/** The step's RetrySpec as an ASL retrier (none for a single attempt). ASL intervals are whole seconds ≥ 1. */
export function stepRetriers(retry: RetrySpec, errors: string[]): Retrier[] {
  if (retry.attempts <= 1) return [];
  return [{
    ErrorEquals: errors,
    IntervalSeconds: Math.max(1, Math.ceil(retry.intervalSeconds)),
    MaxAttempts: retry.attempts - 1,
    BackoffRate: retry.backoffRate,
    ...(retry.maxDelaySeconds !== undefined ? { MaxDelaySeconds: retry.maxDelaySeconds } : {}),
  }];
}

/** FunctionTask / ShellTask / NotebookTask (always batch) → one Task: `lambda:invoke` of the step handler, or a Batch job (`submitJob.sync`). */
export function compileTask(ctx: CompileContext, node: TaskNode, scope: Scope, exits: NodeExits): void {
  const route = taskFailureRoute(ctx, node, scope, exits);
  const name = ctx.first(node);
  const state = node.compute === "batch"
    ? renderBatchTask(ctx, node, name, scope, { transition: exits.next, catchTo: route.target })
    : lambdaTask(ctx, stepEvent("task", node.path, scope), {
      transition: exits.next,
      retry: stepRetriers(node.retry, STEP_RETRY_ERRORS),
      catchTo: route.target,
      functionName: functionPlaceholder(stepSpec(node, ctx.lambdaDefaults), ctx.lambdaDefaults),
      ...(node.timeoutSeconds !== undefined
        ? { timeoutSeconds: Math.min(MAX_LAMBDA_SECONDS, node.timeoutSeconds + TIMEOUT_GRACE_SECONDS) } : {}),
    });
  addState(ctx, scope, name, { stepPath: node.path, role: "task" }, state);
  route.emit();
}
