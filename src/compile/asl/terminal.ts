import type { FailNode, SuccessNode } from "../../graph/types.js";
import type { CompileContext, NodeExits, Scope } from "./context.js";
import { FAIL_STEP_ERROR, addRaise } from "./failure.js";
import { addHandlerTask, stepEvent } from "./render.js";

/** Success → nodeEnd(SUCCESS) recording the step, then the end of its pipeline. */
export function compileSuccess(ctx: CompileContext, node: SuccessNode, scope: Scope, exits: NodeExits): void {
  addHandlerTask(ctx, scope, ctx.first(node), { stepPath: node.path, role: "node-end" },
    stepEvent("nodeEnd", node.path, scope, { status: "SUCCESS" }), { transition: exits.pipelineEnd, catchTo: scope.failTo });
}

/**
 * Fail → nodeEnd(FAIL) recording the step, whose result is replaced by the error
 * `runnable.FailStep` at `$.r`; then the containing pipeline fails: to the scope's failure handler,
 * or (inside a Parallel branch / Map iteration without one) a Fail state ending the branch.
 */
export function compileFail(ctx: CompileContext, node: FailNode, scope: Scope, _exits: NodeExits): void {
  const raise = ctx.namer.name(node.path, "@fail");
  addHandlerTask(ctx, scope, ctx.first(node), { stepPath: node.path, role: "node-end" },
    stepEvent("nodeEnd", node.path, scope, { status: "FAIL", error: { Error: FAIL_STEP_ERROR } }), {
      transition: { Next: scope.failTo ?? raise },
      catchTo: scope.failTo,
      constantResult: { Error: FAIL_STEP_ERROR, Cause: `Fail step "${node.path}" reached` },
    });
  if (!scope.failTo) addRaise(ctx, scope, node.path, raise, FAIL_STEP_ERROR);
}
