import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { randomUUID } from "node:crypto";
import { DISTRIBUTED_MAP_RESOURCE, visitStates, type Json, type JsonObject } from "./definition.js";
import { NO_TASK_TIMEOUT_SECONDS } from "./limits.js";
import { allowedFailures, type Tolerance } from "../graph/tolerance.js";
import { INSTANCE_SLOT } from "./map-gate.js";
import { ExecutionControl, runMachine, type MachineRunOptions, type TaskHandler } from "./machine.js";

/**
 * Distributed Map emulation. aws-local-stepfunctions ignores `ItemReader` (it would iterate over
 * whatever the state input holds — silently different), so each Map with an ItemReader is
 * replaced, before the run, by a Task of the same name whose local handler does what Step
 * Functions does: evaluate the reader's parameters against the state input (the interpreter does
 * that, as the Task's Parameters), read the JSON list from S3, run the item processor over it
 * with the Map's ItemSelector and MaxConcurrency (an inline Map in a nested interpreter run), and
 * with a ResultWriter store the results in S3 and return the manifest location. The Task keeps
 * the Map's InputPath/ResultSelector/ResultPath/OutputPath/Retry/Catch/Next/End, so everything
 * around it behaves the same. Child executions share the parent's event log, tagged by index.
 */

const ITEMS_SLOT = "__runnableEmulatorItems";

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Returns the rewritten definition and the original Map states by name. */
export function rewriteDistributedMaps(definition: JsonObject): { definition: JsonObject; maps: Map<string, JsonObject> } {
  const copy = structuredClone(definition);
  const maps = new Map<string, JsonObject>();
  visitStates(copy, (name, state, holder) => {
    if (state.Type !== "Map" || !("ItemReader" in state)) return;
    maps.set(name, state);
    const reader = state.ItemReader as JsonObject;
    const keep = ["InputPath", "ResultSelector", "ResultPath", "OutputPath", "Retry", "Catch", "Next", "End", "Comment"];
    const task: JsonObject = {
      Type: "Task",
      Resource: DISTRIBUTED_MAP_RESOURCE,
      Parameters: {
        Reader: reader.Parameters ?? {},
        ...(isObject(state.ResultWriter) ? { Writer: state.ResultWriter.Parameters ?? {} } : {}),
        "Input.$": "$",
      },
      // A Map state has no timeout; the stand-in must not get the interpreter's 60 s default.
      TimeoutSeconds: NO_TASK_TIMEOUT_SECONDS,
    };
    for (const field of keep) if (field in state) task[field] = state[field]!;
    holder[name] = task;
  });
  return { definition: copy, maps };
}

export interface DistributedMapDeps {
  s3: S3Client;
  /** Options of the parent run: handlers, execution name, events, control. */
  run: () => MachineRunOptions;
}

/** The local handler of one rewritten Distributed Map. */
export function distributedMapHandler(name: string, original: JsonObject, deps: DistributedMapDeps): TaskHandler {
  const processor = structuredClone((original.ItemProcessor ?? original.Iterator) as JsonObject);
  delete processor.ProcessorConfig;
  const inline: JsonObject = {
    StartAt: name,
    States: {
      [name]: {
        Type: "Map",
        ItemsPath: `$.${ITEMS_SLOT}`,
        ...(original.ItemSelector !== undefined ? { ItemSelector: gatedBy(original.ItemSelector, `$.${INSTANCE_SLOT}`) } : {}),
        ItemProcessor: processor,
        ...(original.MaxConcurrency !== undefined ? { MaxConcurrency: original.MaxConcurrency } : {}),
        End: true,
      },
    },
  };
  const tolerance = toleranceOf(original);
  return async (input) => {
    const params = isObject(input) ? input : {};
    const reader = isObject(params.Reader) ? params.Reader : {};
    const items = await readItems(deps.s3, reader, name);
    const stateInput = isObject(params.Input) ? params.Input : {};
    // Child executions have histories of their own, each under the quota, and fail alone: one that
    // fails (its history full, an oversized payload) counts as a failed child, which the parent may catch.
    const { history: parentHistory, control: parentControl, ...parent } = deps.run();
    const field = itemField(original.ItemSelector);
    const run = (list: Json[], onEvent = parent.onEvent) => {
      const history = field === undefined ? undefined : parentHistory?.children?.(name, field);
      return runMachine(inline, { ...stateInput, [ITEMS_SLOT]: list, [INSTANCE_SLOT]: randomUUID() }, {
        ...parent, control: (parentControl ?? new ExecutionControl()).child(), ...(history ? { history } : {}),
        ...(onEvent ? { onEvent } : {}), exempt: { state: name, drop: ITEMS_SLOT },
      });
    };
    let outputs: Json[];
    let failures: { Error: string; Cause: string }[];
    if (!tolerance) {
      // No tolerance: one inline Map over every item; its first failed child fails it.
      const result = await run(items);
      outputs = Array.isArray(result.output) ? result.output : [];
      failures = result.status === "FAILED" ? [result.error ?? { Error: "States.Runtime", Cause: "a child failed" }] : [];
    } else {
      ({ outputs, failures } = await runChildren(items, tolerance, concurrencyOf(original, items.length), (item, i) =>
        run([item], parent.onEvent ? (e) => parent.onEvent!({ ...e, ...(e.index !== undefined && e.parent === name ? { index: i } : {}) }) : undefined)));
    }
    if (failures.length > allowedFailures(tolerance, items.length)) {
      // A failed child surfaces on the Map state as on AWS: States.ExceedToleratedFailureThreshold,
      // with the first child's error in the cause.
      const err = new Error(JSON.stringify({ error: failures[0]?.Error, cause: failures[0]?.Cause }));
      err.name = "States.ExceedToleratedFailureThreshold";
      throw err;
    }
    if (!isObject(params.Writer)) return outputs;
    return writeResults(deps.s3, params.Writer, outputs, failures);
  };
}

/** The ItemSelector field that takes the item (`$$.Map.Item.Value`), looked for also inside a gated selector's `item`. */
function itemField(selector: Json | undefined): string | undefined {
  if (!isObject(selector)) return undefined;
  const found = Object.entries(selector).find(([k, v]) => k.endsWith(".$") && v === "$$.Map.Item.Value");
  return found ? found[0].slice(0, -2) : itemField(selector.item);
}

function toleranceOf(state: JsonObject): Tolerance | undefined {
  const pct = typeof state.ToleratedFailurePercentage === "number" ? state.ToleratedFailurePercentage : undefined;
  const count = typeof state.ToleratedFailureCount === "number" ? state.ToleratedFailureCount : undefined;
  if (pct === undefined && count === undefined) return undefined;
  return { ...(pct !== undefined ? { percentage: pct } : {}), ...(count !== undefined ? { count } : {}) };
}

function concurrencyOf(state: JsonObject, items: number): number {
  const mc = typeof state.MaxConcurrency === "number" && state.MaxConcurrency > 0 ? state.MaxConcurrency : items;
  return Math.max(1, Math.min(mc, items));
}

/**
 * With a tolerance each child runs on its own (a one-item Map, its events re-indexed), so one failing
 * does not stop the others; no new child starts once the failures are beyond the tolerance.
 */
async function runChildren(
  items: Json[], tolerance: Tolerance, concurrency: number, runOne: (item: Json, index: number) => Promise<{ status: string; output?: Json; error?: { Error: string; Cause: string } }>,
): Promise<{ outputs: Json[]; failures: { Error: string; Cause: string }[] }> {
  const outputs: Json[] = new Array<Json>(items.length).fill(null);
  const failures: { Error: string; Cause: string }[] = [];
  const allowed = allowedFailures(tolerance, items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && failures.length <= allowed) {
      const i = next++;
      const r = await runOne(items[i]!, i);
      if (r.status === "FAILED") failures.push(r.error ?? { Error: "States.Runtime", Cause: `child ${i} failed` });
      else outputs[i] = Array.isArray(r.output) ? r.output[0] ?? null : r.output ?? null;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { outputs, failures };
}

/** The gate's instance key of a gated ItemSelector (`{ item, "key.$": "$" }`, see map-gate.ts) pointed at `path`. */
function gatedBy(selector: Json, path: string): Json {
  return isObject(selector) && "key.$" in selector ? { ...selector, "key.$": path } : selector;
}

async function readItems(s3: S3Client, reader: JsonObject, name: string): Promise<Json[]> {
  const bucket = String(reader.Bucket ?? "");
  const key = String(reader.Key ?? "");
  let text: string;
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    text = (await out.Body?.transformToString("utf8")) ?? "";
  } catch (err) {
    throw Object.assign(new Error(`Map "${name}": cannot read items s3://${bucket}/${key}: ${(err as Error).message}`), { name: "States.ItemReaderFailed" });
  }
  const items = JSON.parse(text) as Json;
  if (!Array.isArray(items)) {
    throw Object.assign(new Error(`Map "${name}": s3://${bucket}/${key} does not hold a JSON array`), { name: "States.ItemReaderFailed" });
  }
  return items;
}

async function writeResults(s3: S3Client, writer: JsonObject, results: Json, failures: Json[]): Promise<Json> {
  const bucket = String(writer.Bucket ?? "");
  const prefix = String(writer.Prefix ?? "").replace(/\/$/, "");
  const mapRun = randomUUID();
  const base = `${prefix ? `${prefix}/` : ""}${mapRun}`;
  const resultsKey = `${base}/SUCCEEDED_0.json`;
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: resultsKey, Body: JSON.stringify(results) }));
  const failedKey = `${base}/FAILED_0.json`;
  if (failures.length) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: failedKey, Body: JSON.stringify(failures) }));
  const manifestKey = `${base}/manifest.json`;
  await s3.send(new PutObjectCommand({
    Bucket: bucket, Key: manifestKey,
    Body: JSON.stringify({
      DestinationBucket: bucket, MapRunArn: `arn:aws:states:local:000000000000:mapRun:${mapRun}`,
      ResultFiles: { SUCCEEDED: [{ Key: resultsKey }], ...(failures.length ? { FAILED: [{ Key: failedKey }] } : {}) },
    }),
  }));
  return { MapRunArn: `arn:aws:states:local:000000000000:mapRun:${mapRun}`, ResultWriterDetails: { Bucket: bucket, Key: manifestKey } };
}
