import { judgeShape, shapeAdvice } from "../graph/returned.js";
import type { ReturnSpec } from "../graph/types.js";
import type { JsonValue } from "../sdk/types.js";
import type { StepContext } from "./context.js";
import { storeObject } from "./objects.js";
import { nonJson } from "./parameters.js";

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return "a list";
  if (isPlainObject(v)) {
    const keys = Object.keys(v);
    return keys.length ? `an object with ${keys.map((k) => `"${k}"`).join(", ")}` : "an empty object";
  }
  if (typeof v === "object") return `a ${v.constructor?.name ?? "object"}`;
  return `a ${typeof v}`;
}

const quoted = (names: readonly string[]) => names.map((n) => `"${n}"`).join(", ");

/**
 * Binds a function's result to its declared returns, strictly (the rule of `judgeShape`, shared with
 * the static check): no value is dropped or invented silently. A result that is not a plain object is
 * bound whole to a single declared name, ignored when nothing is declared, and fails otherwise.
 */
export function bindFunctionResult(step: string, declared: readonly ReturnSpec[], result: unknown): Record<string, unknown> {
  const names = declared.map((r) => r.name);
  if (!isPlainObject(result)) {
    if (names.length === 1) return { [names[0]!]: result };
    if (names.length === 0) return {};
    throw new Error(`step "${step}" declares returns ${quoted(names)} but its function returned ${describe(result)}`
      + `: return an object with exactly these keys, e.g. { ${names.join(", ")} }`);
  }
  const keys = Object.keys(result);
  const verdict = judgeShape(names, keys);
  if (!verdict.ok) throw new Error(`step "${step}": its function returned ${describe(result)}${shapeAdvice(verdict, names, keys)}`);
  if (verdict.whole) return { [names[0]!]: result };
  return Object.fromEntries(names.map((n) => [n, result[n]]));
}

/** Binds the `name=value` lines of a shell step's `$RUNNABLE_OUTPUT`: every declared name needs a line, and every line a declared name. */
export function bindShellOutput(step: string, declared: readonly ReturnSpec[], lines: Record<string, JsonValue>): Record<string, unknown> {
  const missing = declared.filter((r) => !Object.prototype.hasOwnProperty.call(lines, r.name)).map((r) => r.name);
  if (missing.length) {
    throw new Error(`step "${step}" declares returns ${quoted(missing)} but the command wrote no such line to $RUNNABLE_OUTPUT`
      + ` (write e.g. echo "${missing[0]}=value" >> "$RUNNABLE_OUTPUT")`);
  }
  const extra = Object.keys(lines).filter((k) => !declared.some((r) => r.name === k));
  if (extra.length) {
    throw new Error(`step "${step}": the command wrote ${quoted(extra)} to $RUNNABLE_OUTPUT, which returns does not declare`
      + ` (declare ${extra.length === 1 ? "it" : "them"} in returns, or do not write ${extra.length === 1 ? "that line" : "those lines"})`);
  }
  return Object.fromEntries(declared.map((r) => [r.name, lines[r.name]]));
}

/**
 * Turns bound values into what the run log keeps: json and metric values must be JSON; object
 * values go to the catalog and leave a reference. The error for a value that is not JSON points at
 * the likely cause: parameters the function read but was not given (`missing`), NaN/undefined from a
 * computation, or a structured value (Map, Date, class instance) that object() would keep.
 */
export async function encodeReturns(
  ctx: StepContext, runId: string, stepPath: string, declared: readonly ReturnSpec[], values: Record<string, unknown>, missing: readonly string[] = [],
): Promise<{ outputs: Record<string, JsonValue>; metrics: Record<string, JsonValue> }> {
  const outputs: Record<string, JsonValue> = {};
  const metrics: Record<string, JsonValue> = {};
  for (const r of declared) {
    const value = values[r.name];
    if (r.kind === "object") {
      outputs[r.name] = { ...(await storeObject(ctx, runId, stepPath, r.name, value)) };
      continue;
    }
    const why = nonJson(value);
    if (why !== undefined) throw new Error(nonJsonMessage(stepPath, r.name, why, missing));
    outputs[r.name] = value as JsonValue;
    if (r.kind === "metric") metrics[r.name] = value as JsonValue;
  }
  return { outputs, metrics };
}

function nonJsonMessage(stepPath: string, name: string, why: string, missing: readonly string[]): string {
  const head = `step "${stepPath}": return "${name}" is not a JSON value (${why})`;
  if (missing.length) return `${head}, most likely because the function read ${unprovidedText(missing)}`;
  if (why === "undefined" || why.startsWith("the number")) {
    return `${head}: JSON cannot hold NaN, Infinity or undefined — check the computation that produced it (or declare it object("${name}") to keep such values as a structured clone)`;
  }
  return `${head}; declare it object("${name}") to keep it as a structured clone`;
}

/** `"x", which was not provided (it got undefined)` — for messages about reads of unprovided parameters. */
export function unprovidedText(missing: readonly string[]): string {
  return `${quoted(missing)}, which ${missing.length === 1 ? "was" : "were"} not provided (it got undefined)`;
}

/** Adds the likely cause to an error a function threw after reading parameters it was not given. */
export function explainFailure(error: unknown, missing: readonly string[]): unknown {
  if (missing.length === 0 || !(error instanceof Error)) return error;
  error.message = `${error.message} — the function read ${unprovidedText(missing)}`;
  return error;
}
