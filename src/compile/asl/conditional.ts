import type { ConditionalNode } from "../../graph/types.js";
import { ERRORS } from "../../core/protocol.js";
import { addState, type CompileContext, type NodeExits, type Scope } from "./context.js";
import { compositeFailureRoute } from "./failure.js";
import { ERROR_SLOT, addHandlerTask, stepEvent } from "./render.js";
import type { ChoiceRule } from "./types.js";

/**
 * Conditional → `<step>@start` (conditionalStart: the handler resolves `String(scope[parameter])`
 * and returns the branch key, "default" for the default branch; it throws runnable.NoBranch when
 * nothing matches and there is no default) → `<step>@choice` (Choice on `$.r.branch`, one
 * StringEquals per key, sorted) → the branch's states, inline in this state list → `<step>@end`
 * (nodeEnd SUCCESS). A failure anywhere in the branch goes to `<step>@failed`.
 *
 * The Choice's Default is the default branch or, without one, `<step>@no-branch` raising
 * runnable.NoBranch: a Choice without a match would otherwise fail the execution uncaught.
 */
export function compileConditional(ctx: CompileContext, node: ConditionalNode, scope: Scope, exits: NodeExits): void {
  const route = compositeFailureRoute(ctx, node, scope, exits);
  const n = (suffix: string) => ctx.namer.name(node.path, suffix);
  const end = n("@end");
  const keys = Object.keys(node.branches).sort();
  const defaultStart = node.default ? ctx.first(node.default.steps[0]!) : n("@no-branch");
  addHandlerTask(ctx, scope, ctx.first(node), { stepPath: node.path, role: "conditional-start" },
    stepEvent("conditionalStart", node.path, scope), {
      transition: { Next: keys.length ? n("@choice") : defaultStart }, catchTo: route.target, keep: ["branch"],
    });
  if (keys.length) {
    const choices: ChoiceRule[] = keys.map((key) => ({
      Variable: "$.r.branch", StringEquals: key, Next: ctx.first(node.branches[key]!.steps[0]!),
    }));
    addState(ctx, scope, n("@choice"), { stepPath: node.path, role: "choice" }, { Type: "Choice", Choices: choices, Default: defaultStart });
  }
  const inner: Scope = { ...scope, failTo: route.target };
  for (const key of keys) ctx.pipeline(node.branches[key]!, inner, { Next: end });
  if (node.default) ctx.pipeline(node.default, inner, { Next: end });
  else {
    addState(ctx, scope, defaultStart, { stepPath: node.path, role: "no-branch" }, {
      Type: "Pass",
      Result: { Error: ERRORS.noBranch, Cause: `no branch of "${node.path}" matches and it has no default` },
      ResultPath: ERROR_SLOT,
      Next: route.target,
    });
  }
  addHandlerTask(ctx, scope, end, { stepPath: node.path, role: "node-end" },
    stepEvent("nodeEnd", node.path, scope, { status: "SUCCESS" }), { transition: exits.next, catchTo: route.target });
  route.emit();
}
