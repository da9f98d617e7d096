import type { Conditional, MapNode, Parallel } from "./composites.js";
import type { NotebookTask } from "./notebook.js";
import type { FunctionTask, ShellTask, Stub } from "./tasks.js";
import type { Fail, Success } from "./terminals.js";

/**
 * Every step class, as a union discriminated on `kind`: code outside the SDK narrows a Node with
 * `switch (step.kind)` instead of `instanceof` (steps may come from another copy of the package).
 */
export type Step = FunctionTask | ShellTask | NotebookTask | Stub | Parallel | MapNode | Conditional | Success | Fail;
