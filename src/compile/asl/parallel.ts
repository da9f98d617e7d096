import type { ParallelNode } from "../../graph/types.js";
import { addState, type CompileContext, type NodeExits, type Scope } from "./context.js";
import { compositeFailureRoute } from "./failure.js";
import { addHandlerTask, catchTo, stepEvent } from "./render.js";
import type { StateMachineBody } from "./types.js";

/** A nested state list (Parallel branch, Map item processor): failures there end the branch. */
export function branchBody(ctx: CompileContext, build: (scope: Scope) => string, outer: Scope, depth = outer.depth, execution = outer.execution): StateMachineBody {
  const scope: Scope = { states: {}, failTo: null, depth, execution, ...(execution === outer.execution && outer.redrive ? { redrive: outer.redrive } : {}) };
  const startAt = build(scope);
  return { StartAt: startAt, States: scope.states };
}

/**
 * Parallel → a Parallel state with one branch per key (sorted), its result dropped, then
 * `<step>@end` (nodeEnd SUCCESS: the handler merges the branches' returns). A failed branch fails
 * the Parallel state, whose Catch records nodeEnd FAIL (see failure.ts).
 */
export function compileParallel(ctx: CompileContext, node: ParallelNode, scope: Scope, exits: NodeExits): void {
  const route = compositeFailureRoute(ctx, node, scope, exits);
  const end = ctx.namer.name(node.path, "@end");
  const name = ctx.first(node);
  const branches = Object.keys(node.branches).sort().map((key) =>
    branchBody(ctx, (b) => ctx.pipeline(node.branches[key]!, b, { End: true }), scope));
  addState(ctx, scope, name, { stepPath: node.path, role: "parallel" }, {
    Type: "Parallel",
    Branches: branches,
    ResultPath: null,
    ...catchTo(route.target),
    Next: end,
  });
  addHandlerTask(ctx, scope, end, { stepPath: node.path, role: "node-end" },
    stepEvent("nodeEnd", node.path, scope, { status: "SUCCESS" }), { transition: exits.next, catchTo: route.target });
  route.emit();
}
