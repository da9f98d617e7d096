import { existsSync } from "node:fs";
import { returnedShapes } from "../graph/returned.js";
import { suggest } from "../graph/suggest.js";
import { UsageError } from "../sdk/errors.js";
import { isPipeline } from "../sdk/node.js";
// Registers the Pipeline factory that task.asPipeline() uses (a job's task is made with this copy of the SDK).
import "../sdk/pipeline.js";
import { FunctionTask } from "../sdk/tasks.js";
import { PARAMETER_NAME, STEP_NAME, type StepFunction } from "../sdk/types.js";

/**
 * One-task jobs (Runnable's Jobs): a file whose default export is a FunctionTask, ShellTask or NotebookTask, or
 * `file.ts:name` naming an export — a Pipeline, a task, or a plain function, which becomes a
 * FunctionTask named after the export — runs as a one-step pipeline with the same run log and
 * catalog as any other. The spec `file.ts:name` is what runs record as their source, so retries and
 * the emulator's handler processes load the same job.
 */

/** `jobs.ts:train` → { file: "jobs.ts", exportName: "train" }; a path (also one that exists with a colon) → { file }. */
export function splitSpec(spec: string): { file: string; exportName?: string } {
  const m = /^(.+\.[cm]?[jt]sx?):([A-Za-z_$][\w$]*)$/.exec(spec);
  return m && !existsSync(spec) ? { file: m[1]!, exportName: m[2]! } : { file: spec };
}

/** A step object (of any copy of the SDK) that can stand alone: a FunctionTask, ShellTask or NotebookTask. */
export function isTask(value: unknown): value is { kind: "function" | "shell" | "notebook"; asPipeline(): unknown } {
  if (typeof value !== "object" || value === null) return false;
  const v = value as { kind?: unknown; asPipeline?: unknown };
  return (v.kind === "function" || v.kind === "shell" || v.kind === "notebook") && typeof v.asPipeline === "function";
}

function validName(name: string, pattern: RegExp, fallback: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9_-]/g, "_").replace(/^[^A-Za-z]+/, "").slice(0, 64);
  return pattern.test(cleaned) ? cleaned : fallback;
}

/**
 * What a plain function's job declares as returns: the keys of the object literals it returns when
 * they all agree (so `{ accuracy, model }` keeps both names), else the job's name holding the whole result.
 */
function jobReturns(fn: StepFunction, name: string): string[] {
  const shapes = returnedShapes(fn);
  const first = shapes[0];
  const same = (s: string[]) => s.length === first!.length && s.every((k) => first!.includes(k));
  if (first && first.length > 0 && first.every((k) => PARAMETER_NAME.test(k)) && shapes.every(same)) return first;
  return [validName(name, PARAMETER_NAME, "result")];
}

/** The export `name` of a module as something pipelineFromModule takes: a Pipeline or a task. */
export function jobExport(mod: unknown, name: string, file: string): unknown {
  const ns = (mod ?? {}) as Record<string, unknown>;
  const nested = typeof ns.default === "object" && ns.default !== null ? (ns.default as Record<string, unknown>) : {};
  const value = Object.prototype.hasOwnProperty.call(ns, name) ? ns[name] : nested[name];
  if (value === undefined) {
    const names = [...Object.keys(ns), ...Object.keys(nested)].filter((k) => k !== "default");
    const close = suggest(name, names);
    throw new UsageError(`${file} has no export "${name}"${close ? ` (did you mean "${close}"?)` : names.length ? ` (it exports ${names.map((n) => `"${n}"`).join(", ")})` : ""}`);
  }
  if (isPipeline(value) || isTask(value)) return value;
  if (typeof value === "function") {
    const stepName = validName(name, STEP_NAME, "job");
    return new FunctionTask({ name: stepName, function: value as StepFunction, returns: jobReturns(value as StepFunction, stepName) });
  }
  throw new UsageError(`${file}: export "${name}" is not a Pipeline, a FunctionTask/ShellTask/NotebookTask or a function`);
}
