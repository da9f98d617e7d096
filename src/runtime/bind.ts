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
  if (typeof v === "object") return `a ${(v as object).constructor?.name ?? "object"}`;
  return `a ${typeof v}`;
}

/**
 * Binds a function's result to its declared returns (the Contract's rule): a plain object holding
 * every declared name gives each name its property; otherwise a single declared name takes the
 * whole value; otherwise the step fails with a message naming it.
 */
export function bindFunctionResult(step: string, declared: readonly ReturnSpec[], result: unknown): Record<string, unknown> {
  if (declared.length === 0) return {};
  const names = declared.map((r) => r.name);
  if (isPlainObject(result) && names.every((n) => Object.prototype.hasOwnProperty.call(result, n))) {
    return Object.fromEntries(names.map((n) => [n, result[n]]));
  }
  if (names.length === 1) return { [names[0]!]: result };
  const missing = isPlainObject(result) ? names.filter((n) => !Object.prototype.hasOwnProperty.call(result, n)) : names;
  throw new Error(`step "${step}" declares returns ${names.map((n) => `"${n}"`).join(", ")} but its function returned ${describe(result)}`
    + ` (missing ${missing.map((n) => `"${n}"`).join(", ")}): return an object with a property for each declared name`);
}

/** Binds the `name=value` lines of a shell step's `$RUNNABLE_OUTPUT`: every declared name needs a line. */
export function bindShellOutput(step: string, declared: readonly ReturnSpec[], lines: Record<string, JsonValue>): Record<string, unknown> {
  const missing = declared.filter((r) => !Object.prototype.hasOwnProperty.call(lines, r.name)).map((r) => r.name);
  if (missing.length) {
    throw new Error(`step "${step}" declares returns ${missing.map((n) => `"${n}"`).join(", ")} but the command wrote no such line to $RUNNABLE_OUTPUT`
      + ` (write e.g. echo "${missing[0]}=value" >> "$RUNNABLE_OUTPUT")`);
  }
  return Object.fromEntries(declared.map((r) => [r.name, lines[r.name]]));
}

/**
 * Turns bound values into what the run log keeps: json and metric values must be JSON (a clear
 * error suggests object() otherwise); object values go to the catalog and leave a reference.
 */
export async function encodeReturns(
  ctx: StepContext, runId: string, stepPath: string, declared: readonly ReturnSpec[], values: Record<string, unknown>,
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
    if (why !== undefined) {
      throw new Error(`step "${stepPath}": return "${r.name}" is not a JSON value (${why}); declare it object("${r.name}") to keep it as a structured clone`);
    }
    outputs[r.name] = value as JsonValue;
    if (r.kind === "metric") metrics[r.name] = value as JsonValue;
  }
  return { outputs, metrics };
}
