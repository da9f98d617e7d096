import type { NodeGraph } from "../../graph/types.js";
import { ERRORS, RUN_FAILED_CAUSE } from "../../core/protocol.js";
import { addState, type CompileContext, type NodeExits, type Scope } from "./context.js";
import { CAUGHT_ERROR, addHandlerTask, stepEvent } from "./render.js";

/**
 * How a step's failure is handled, decided before its states are written:
 * `target` is the Catch target for the step's own states; `emit()` writes the states behind it.
 *
 * - Task steps: the handler has already recorded the failed attempt, so the Catch goes straight
 *   to the onFailure pipeline, else to the scope's handler (none inside a branch: the branch fails).
 * - Composites (Parallel, Map, Conditional): the Catch goes to `<step>@failed`, a nodeEnd(FAIL)
 *   record, and from there to the onFailure pipeline, the scope's handler, or a Fail state that
 *   re-raises the error so the enclosing Parallel/Map sees its branch fail.
 *
 * An onFailure pipeline replaces the rest of the pipeline containing the step: it ends where that
 * pipeline ends (`exits.pipelineEnd`) and its own failures go to the same place the step's would.
 */
export interface FailureRoute {
  target: string | null;
  emit(): void;
}

export function taskFailureRoute(ctx: CompileContext, node: NodeGraph, scope: Scope, exits: NodeExits): FailureRoute {
  const recovery = node.onFailure;
  if (!recovery) return { target: scope.failTo, emit: () => {} };
  return { target: ctx.first(recovery.steps[0]!), emit: () => void ctx.pipeline(recovery, scope, exits.pipelineEnd) };
}

export function compositeFailureRoute(
  ctx: CompileContext, node: NodeGraph, scope: Scope, exits: NodeExits,
): FailureRoute & { target: string; after: string } {
  const failed = ctx.namer.name(node.path, "@failed");
  const recovery = node.onFailure;
  // Where the failure goes once recorded (with the error at `$.r`).
  const after = recovery ? ctx.first(recovery.steps[0]!) : scope.failTo ?? ctx.namer.name(node.path, "@fail");
  return {
    target: failed,
    after,
    emit: () => {
      addHandlerTask(ctx, scope, failed, { stepPath: node.path, role: "node-failed" },
        stepEvent("nodeEnd", node.path, scope, { status: "FAIL", ...CAUGHT_ERROR }),
        { transition: { Next: after }, catchTo: scope.failTo });
      if (recovery) ctx.pipeline(recovery, scope, exits.pipelineEnd);
      else if (!scope.failTo) addRaise(ctx, scope, node.path, after);
    },
  };
}

/** A Fail state re-raising the error at `$.r` (ends a Parallel branch or Map iteration). */
export function addRaise(ctx: CompileContext, scope: Scope, path: string, name: string, error?: string): string {
  return addState(ctx, scope, name, { stepPath: path, role: "raise" }, {
    Type: "Fail",
    ...(error ? { Error: error } : { ErrorPath: "$.r.Error" }),
    Cause: path ? `step "${path}" failed: see the run log` : RUN_FAILED_CAUSE,
  });
}

/** The error a Fail step raises. */
export const FAIL_STEP_ERROR = ERRORS.failStep;
