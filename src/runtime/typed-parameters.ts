import { jsonTypesOf, objectProperties } from "../graph/parameters.js";
import { ParameterError, type Problem } from "../sdk/errors.js";
import type { StandardIssue, StandardSchemaV1 } from "../sdk/schema.js";
import type { JsonValue } from "../sdk/types.js";
import { nonJson } from "./parameters.js";

/** Folded initial parameters, with the raw text of those that came as text (`-p name=value`, `RUNNABLE_PRM_<name>`). */
export interface ParameterInput {
  values: Record<string, JsonValue>;
  texts?: Record<string, string>;
}

function topKey(issue: StandardIssue): string | undefined {
  const first = issue.path?.[0];
  const key = typeof first === "object" && first !== null ? first.key : first;
  return typeof key === "string" ? key : typeof key === "number" ? String(key) : undefined;
}

function shown(value: unknown): string {
  const text = value === undefined ? "nothing" : JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

function problemsOf(issues: readonly StandardIssue[], given: Record<string, unknown>): Problem[] {
  return issues.map((issue) => {
    const name = topKey(issue);
    const rest = (issue.path ?? []).slice(1).map((p) => String(typeof p === "object" && p !== null ? p.key : p));
    const where = name === undefined ? "parameters" : `parameter "${[name, ...rest].join(".")}"`;
    const value = name === undefined ? "" : Object.prototype.hasOwnProperty.call(given, name) ? ` = ${shown(given[name])}` : " (not given)";
    return { path: "", code: "invalid-parameter", message: `${where}${value}: ${issue.message}` };
  });
}

/**
 * Validates a run's initial parameters with the pipeline's Standard Schema and returns its output
 * (defaults applied, values coerced). Text from the command line or the environment is coerced by
 * the schema's JSON Schema type when it tells one (a `string` parameter keeps `007` as written);
 * otherwise it is parsed (`6` → 6, `true` → true) and, when the schema rejects that, tried as the
 * original text. Throws ParameterError naming every parameter at fault.
 */
export async function validateParameters(schema: StandardSchemaV1, input: ParameterInput): Promise<Record<string, JsonValue>> {
  const texts = input.texts ?? {};
  const types = objectProperties(schema, "input")?.properties ?? {};
  const candidate: Record<string, unknown> = { ...input.values };
  for (const [name, text] of Object.entries(texts)) {
    const accepted = types[name] ? jsonTypesOf(types[name]) : undefined;
    if (accepted?.length === 1 && accepted[0] === "string") candidate[name] = text;
  }
  let result = await schema["~standard"].validate(candidate);
  if (result.issues) {
    // A value parsed from text may have been meant as the text itself (a string field given "1e3").
    const retry = { ...candidate };
    let changed = false;
    for (const issue of result.issues) {
      const name = topKey(issue);
      if (name !== undefined && Object.prototype.hasOwnProperty.call(texts, name) && retry[name] !== texts[name]) {
        retry[name] = texts[name];
        changed = true;
      }
    }
    if (changed) {
      const again = await schema["~standard"].validate(retry);
      if (!again.issues) result = again;
    }
  }
  if (result.issues) throw new ParameterError(problemsOf(result.issues, candidate));
  const value = result.value;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ParameterError([{ path: "", code: "invalid-parameters-schema", message: `the parameters schema must produce an object of parameters, it produced ${shown(value)}` }]);
  }
  const out: Record<string, JsonValue> = {};
  for (const [name, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === undefined) continue; // an optional parameter left out
    const why = nonJson(v);
    if (why) throw new ParameterError([{ path: "", code: "invalid-parameter", message: `parameter "${name}": the schema's output is not JSON (${why}); parameters are recorded in the run log as JSON` }]);
    out[name] = v as JsonValue;
  }
  return out;
}

/**
 * The runs API on AWS cannot hold a schema (its functions live in the pipeline module, which only
 * the step Lambda bundles): it asks the pipeline's step Lambda to validate with this event, before
 * it writes a run header or starts an execution. The answer carries the schema's output or the problems.
 */
export interface ValidateParametersEvent {
  runnable: "validateParameters";
  parameters: Record<string, JsonValue>;
}

export type ValidateParametersAnswer =
  | { ok: true; parameters: Record<string, JsonValue> }
  | { ok: false; problems: Problem[] };

export function isValidateParametersEvent(event: unknown): event is ValidateParametersEvent {
  if (typeof event !== "object" || event === null) return false;
  const e = event as Record<string, unknown>;
  return e.runnable === "validateParameters" && typeof e.parameters === "object" && e.parameters !== null && !Array.isArray(e.parameters);
}

/** The step Lambda's answer to a ValidateParametersEvent (a pipeline without a schema takes the parameters as given). */
export async function answerValidateParameters(schema: StandardSchemaV1 | undefined, event: ValidateParametersEvent): Promise<ValidateParametersAnswer> {
  if (!schema) return { ok: true, parameters: event.parameters };
  try {
    return { ok: true, parameters: await validateParameters(schema, { values: event.parameters }) };
  } catch (e) {
    if (e instanceof ParameterError) return { ok: false, problems: e.problems };
    throw e;
  }
}

/** Turns an answer back into parameters or the ParameterError it stands for (on the API side). */
export function fromValidateAnswer(answer: unknown): Record<string, JsonValue> {
  const a = answer as ValidateParametersAnswer | undefined;
  if (a?.ok === true && typeof a.parameters === "object" && a.parameters !== null) return a.parameters;
  if (a?.ok === false && Array.isArray(a.problems)) throw new ParameterError(a.problems);
  throw new Error(`the step Lambda gave no valid answer to a parameters validation: ${JSON.stringify(answer)?.slice(0, 200)}`);
}
