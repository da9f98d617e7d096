import type { StubNode } from "../../graph/types.js";
import type { CompileContext, NodeExits, Scope } from "./context.js";
import { addHandlerTask, stepEvent } from "./render.js";

/**
 * Stub → a handler Task with action `stub` rather than a Pass state (the guidance table's choice):
 * the handler records the Stub's success and binds its returns to null, so its run-log record
 * exists in every mode (local, emulator, AWS). One transition, like a Pass.
 */
export function compileStub(ctx: CompileContext, node: StubNode, scope: Scope, exits: NodeExits): void {
  addHandlerTask(ctx, scope, ctx.first(node), { stepPath: node.path, role: "stub" },
    stepEvent("stub", node.path, scope), { transition: exits.next, catchTo: scope.failTo });
}
