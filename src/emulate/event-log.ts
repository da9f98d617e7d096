import type { ProgressListener } from "../execute/events.js";
import { findNode, toStepPath, type RootGraph } from "../graph/index.js";
import { UsageError } from "../sdk/errors.js";
import type { Json, JsonObject } from "./definition.js";
import type { ExecutionEvent, TaskHandler } from "./machine.js";
import { openEmulatorStores, type EmulatorStorageOptions } from "./storage.js";

/**
 * The execution event log kept with each emulator run — state entered/exited, retries, catches,
 * map iterations, failures: what Step Functions' execution history would show — stored as an
 * internal catalog document per execution (`catalog/<runId>/.internal/events-<execution>.json`),
 * plus the progress events the CLI prints, derived from handler invocations.
 */

export interface StoredEventLog {
  execution: string;
  status: "SUCCEEDED" | "FAILED" | "ABORTED";
  error: { Error: string; Cause: string } | null;
  /** History events AWS would have recorded for this execution, and Step Functions' quota on them. */
  history?: { events: number; quota: number };
  events: ExecutionEvent[];
}

/** Internal document name of an execution's event log. */
export function eventKey(execution: string): string {
  return `events-${execution}.json`;
}

/** Reads every execution's event log of an emulator run, oldest execution first. */
export async function readEventLog(runId: string, options: EmulatorStorageOptions & { root?: string } = {}): Promise<StoredEventLog[]> {
  const storage = await openEmulatorStores(options.root ?? ".runnable", options);
  try {
    const { blob } = storage.stores;
    const keys = (await blob.list(`catalog/${runId}/.internal/`)).filter((k) => /\/events-[^/]+\.json$/.test(k));
    if (keys.length === 0) {
      if (!(await storage.stores.runLog.getHeader(runId))) {
        throw new UsageError(`run "${runId}" has no execution event log in s3://${storage.bucket} at ${storage.endpoint}: only runs made with --mode emulator have one`);
      }
      return [];
    }
    const logs = await Promise.all(keys.map(async (k) => JSON.parse(Buffer.from((await blob.get(k))!).toString("utf8")) as StoredEventLog));
    return logs.sort((a, b) => (a.events[0]?.timestamp ?? 0) - (b.events[0]?.timestamp ?? 0));
  } finally {
    await storage.close();
  }
}

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Wraps a Task handler so its invocations report progress: task/stub start and end, composite start and end. */
export function progressFrom(graph: RootGraph, handler: TaskHandler, listener: ProgressListener): TaskHandler {
  return async (input) => {
    const request = isObject(input) ? input : {};
    // lambda:invoke carries the event as Payload; a Batch job's is in its environment (reported as a task).
    const event = isObject(request.Payload) ? request.Payload : undefined;
    const path = typeof event?.path === "string" ? event.path : undefined;
    const node = path !== undefined ? findNode(graph, path) : undefined;
    let stepPath: string | undefined;
    try {
      stepPath = path !== undefined && Array.isArray(event?.indexes) ? toStepPath(path, event.indexes as number[]) : undefined;
    } catch {
      stepPath = undefined;
    }
    const action = event?.action;
    const starts = action === "task" || action === "stub" || action === "mapStart" || action === "conditionalStart";
    const ends = action === "task" || action === "stub" || action === "nodeEnd";
    const t0 = Date.now();
    if (stepPath && node && starts) listener({ type: "step-start", stepPath, kind: node.kind });
    try {
      const out = await handler(input);
      const payload = isObject(out) && isObject(out.Payload) ? out.Payload : {};
      if (stepPath && node && action === "mapStart" && typeof payload.count === "number") listener({ type: "map-items", stepPath, kind: node.kind, items: payload.count });
      if (stepPath && node && ends) {
        const status = action === "nodeEnd" && event?.status === "FAIL" ? "FAIL" : "SUCCESS";
        listener({ type: "step-end", stepPath, kind: node.kind, status, durationMs: Date.now() - t0, ...(payload.skipped === true ? { skipped: true } : {}) });
      }
      return out;
    } catch (err) {
      if (stepPath && node && (action === "task" || action === "stub")) {
        listener({ type: "step-end", stepPath, kind: node.kind, status: "FAIL", durationMs: Date.now() - t0, error: { name: (err as Error).name, message: (err as Error).message } });
      }
      throw err;
    }
  };
}
