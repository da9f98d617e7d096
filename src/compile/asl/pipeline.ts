import { assertNever, type NodeGraph, type PipelineGraph } from "../../graph/types.js";
import { compileConditional } from "./conditional.js";
import type { CompileContext, Scope } from "./context.js";
import { compileMap } from "./map.js";
import type { StateNamer } from "./names.js";
import { compileParallel } from "./parallel.js";
import { compileStub } from "./stub.js";
import { compileTask } from "./task.js";
import { compileFail, compileSuccess } from "./terminal.js";
import type { Transition } from "./types.js";

/** Name of the first state of a node: its own state, or `<step>@start` for Map and Conditional. */
export function firstStateName(namer: StateNamer, node: NodeGraph): string {
  return node.kind === "map" || node.kind === "conditional" ? namer.name(node.path, "@start") : namer.name(node.path);
}

/** Writes a pipeline's steps in order, each continuing to the next; returns the first state's name. */
export function compilePipeline(ctx: CompileContext, p: PipelineGraph, scope: Scope, exit: Transition): string {
  p.steps.forEach((node, i) => {
    const following = p.steps[i + 1];
    const next: Transition = following ? { Next: ctx.first(following) } : exit;
    compileNode(ctx, node, scope, { next, pipelineEnd: exit });
  });
  return ctx.first(p.steps[0]!);
}

function compileNode(ctx: CompileContext, node: NodeGraph, scope: Scope, exits: { next: Transition; pipelineEnd: Transition }): void {
  switch (node.kind) {
    case "function": case "shell": case "notebook": return compileTask(ctx, node, scope, exits);
    case "stub": return compileStub(ctx, node, scope, exits);
    case "parallel": return compileParallel(ctx, node, scope, exits);
    case "map": return compileMap(ctx, node, scope, exits);
    case "conditional": return compileConditional(ctx, node, scope, exits);
    case "success": return compileSuccess(ctx, node, scope, exits);
    case "fail": return compileFail(ctx, node, scope, exits);
    default: return assertNever(node);
  }
}
