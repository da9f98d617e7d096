/**
 * Reading a compiled definition before it runs: every Task state must have a local handler (a
 * Task without one would make the interpreter call real AWS), features the interpreter lacks are
 * either emulated (Distributed Map `ItemReader`, see distributed-map.ts) or refused by name, and
 * deployment placeholders (`${BucketName}`, ARNs) are filled with emulator values.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export const LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke";
export const BATCH_SUBMIT_SYNC = "arn:aws:states:::batch:submitJob.sync";
/** Resource of the Task that stands in for a Distributed Map (see distributed-map.ts). */
export const DISTRIBUTED_MAP_RESOURCE = "arn:aws:states:::runnable-emulator:distributedMap";

export type TaskKind = "lambda" | "batch" | "distributedMap";

export interface TaskInfo {
  name: string;
  kind: TaskKind;
  state: JsonObject;
}

/** A problem that stops the emulator from starting, located by state name. */
export interface DefinitionProblem {
  state: string;
  message: string;
}

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Fields of the newer ASL (JSONata, variables) that aws-local-stepfunctions silently ignores. */
const UNSUPPORTED_FIELDS = ["QueryLanguage", "Arguments", "Output", "Assign", "Items", "ItemBatcher", "ResultWriter",
  "ToleratedFailurePercentage", "ToleratedFailureCount", "ToleratedFailurePercentagePath", "ToleratedFailureCountPath", "Credentials"];

/** Every state of a (sub-)machine, nested ones included, with the machine that holds it. */
export function visitStates(machine: JsonObject, visit: (name: string, state: JsonObject, holder: JsonObject) => void): void {
  const states = machine.States;
  if (!isObject(states)) return;
  for (const [name, state] of Object.entries(states)) {
    if (!isObject(state)) continue;
    visit(name, state, states);
    if (Array.isArray(state.Branches)) for (const b of state.Branches) if (isObject(b)) visitStates(b, visit);
    const processor = state.ItemProcessor ?? state.Iterator;
    if (isObject(processor)) visitStates(processor, visit);
  }
}

/** Checks the definition and lists its Task states; problems are collected, not thrown. */
export function inspectDefinition(definition: JsonObject): { tasks: Map<string, TaskInfo>; problems: DefinitionProblem[] } {
  const tasks = new Map<string, TaskInfo>();
  const problems: DefinitionProblem[] = [];
  const seen = new Set<string>();
  if (definition.QueryLanguage === "JSONata") problems.push({ state: "(definition)", message: "JSONata is not supported by the emulator's interpreter" });
  visitStates(definition, (name, state) => {
    if (seen.has(name)) problems.push({ state: name, message: "state name used twice (Step Functions requires unique names across the machine)" });
    seen.add(name);
    for (const field of UNSUPPORTED_FIELDS) {
      // The Distributed Map stand-in (distributed-map.ts) emulates its ResultWriter and failure tolerance.
      const emulated = "ItemReader" in state && ["ResultWriter", "ToleratedFailurePercentage", "ToleratedFailureCount"].includes(field);
      if (field in state && !emulated) problems.push({ state: name, message: `field "${field}" is not supported by the emulator (it would be ignored, not emulated)` });
    }
    if (state.Type === "Map" && "ItemReader" in state) {
      problems.push(...checkItemReader(name, state));
      return;
    }
    if (state.Type !== "Task") return;
    const resource = state.Resource;
    if (resource === LAMBDA_INVOKE) tasks.set(name, { name, kind: "lambda", state });
    else if (resource === BATCH_SUBMIT_SYNC) tasks.set(name, { name, kind: "batch", state });
    else {
      problems.push({
        state: name,
        message: `Task resource ${JSON.stringify(resource)} has no local handler in the emulator; refusing to start rather than call AWS`,
      });
    }
  });
  return { tasks, problems };
}

function checkItemReader(name: string, state: JsonObject): DefinitionProblem[] {
  const reader = state.ItemReader;
  const problems: DefinitionProblem[] = [];
  if (!isObject(reader) || reader.Resource !== "arn:aws:states:::s3:getObject") {
    problems.push({ state: name, message: "only ItemReader with arn:aws:states:::s3:getObject is emulated" });
  } else {
    const config = reader.ReaderConfig;
    const inputType = isObject(config) ? config.InputType : undefined;
    if (inputType !== undefined && inputType !== "JSON") problems.push({ state: name, message: `ItemReader InputType ${JSON.stringify(inputType)} is not emulated (JSON only)` });
    if (isObject(config) && ("MaxItems" in config || "MaxItemsPath" in config)) problems.push({ state: name, message: "ItemReader MaxItems is not emulated" });
  }
  const writer = state.ResultWriter;
  if (writer !== undefined && (!isObject(writer) || writer.Resource !== "arn:aws:states:::s3:putObject")) {
    problems.push({ state: name, message: "only ResultWriter with arn:aws:states:::s3:putObject is emulated" });
  }
  return problems;
}

/**
 * A Task without TimeoutSeconds has no timeout on AWS (the Lambda's own applies); the interpreter
 * would give it 60 s. Make the AWS default explicit.
 */
export function withAwsTaskTimeouts(definition: JsonObject, none: number): JsonObject {
  const copy = structuredClone(definition);
  visitStates(copy, (_name, state) => {
    if (state.Type === "Task" && state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) state.TimeoutSeconds = none;
  });
  return copy;
}

/**
 * Lambda Tasks whose timeout the emulator enforces itself, from the moment a handler process takes
 * the invocation: the interpreter's timer would also count the wait for a free process (Lambda
 * has no such wait). Left to the interpreter where a Retry/Catch names `States.TaskFailed`, whose
 * matching of timeouts only the interpreter's own timeout error gets right.
 */
export function takeOverLambdaTimeouts(definition: JsonObject, tasks: Map<string, TaskInfo>, none: number): JsonObject {
  const copy = structuredClone(definition);
  visitStates(copy, (name, state) => {
    const task = tasks.get(name);
    if (!task || task.kind !== "lambda" || typeof state.TimeoutSeconds !== "number") return;
    const handlers = [...(Array.isArray(state.Retry) ? state.Retry : []), ...(Array.isArray(state.Catch) ? state.Catch : [])];
    const namesTaskFailed = handlers.some((h) => isObject(h) && Array.isArray(h.ErrorEquals) && h.ErrorEquals.includes("States.TaskFailed"));
    if (!namesTaskFailed) state.TimeoutSeconds = none;
  });
  return copy;
}

/** Replaces `${Name}` placeholders in every string of the definition. Unknown names are left for the caller to report. */
export function substitute(definition: JsonObject, values: Record<string, string>): JsonObject {
  const fill = (v: Json): Json => {
    if (typeof v === "string") return v.replace(/\$\{([A-Za-z0-9_]+)\}/g, (m, name: string) => values[name] ?? m);
    if (Array.isArray(v)) return v.map(fill);
    if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x)]));
    return v;
  };
  return fill(definition) as JsonObject;
}

/**
 * Placeholder values of the emulator: the real bucket, no key prefix (the emulator keeps the
 * Contract's `runs/`, `catalog/` at the bucket's root), recognisable fake ARNs for the rest.
 */
export function emulatorPlaceholders(names: Iterable<string>, bucket: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    out[name] = name === "KeyPrefix" ? "" : /bucket/i.test(name) ? bucket : `arn:aws:emulator:local:000000000000:${name}`;
  }
  return out;
}
