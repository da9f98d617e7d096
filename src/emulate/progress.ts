import type { ProgressListener } from "../execute/events.js";
import { findNode, toStepPath, type RootGraph } from "../graph/index.js";
import type { StepError } from "../sdk/runlog.js";
import { taskError } from "../runtime/task-error.js";
import type { AttemptRecord } from "../store/types.js";
import type { Json, JsonObject } from "./definition.js";
import type { TaskHandler } from "./machine.js";
import { batchRequest } from "./tasks.js";

/**
 * Progress events of an emulator run, derived from handler invocations (task/stub start and end,
 * composite start and end). A step's end is reported with what its attempt record says — the
 * attempt number and the step's own error ("Error: not fixed yet"), as in a local run — rather
 * than the Lambda error envelope or the Batch job description the state machine sees. Reading the
 * record never delays the state machine: the event is sent once it is read (`settled` waits for them).
 */

export interface EmulatorProgressOptions {
  /** The execution's name: a SUCCESS record of an earlier execution means the step was skipped. */
  execution: string;
  /** The recorded attempts of a step (oldest first). */
  attempts(stepPath: string): Promise<AttemptRecord[]>;
}

export interface EmulatorProgress {
  wrap(handler: TaskHandler): TaskHandler;
  /** Resolves when every step end has been reported. */
  settled(): Promise<void>;
}

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * The step's own error from what the state machine saw, when no attempt record tells it (the
 * handler process died, or the step was killed at its timeout): the Lambda envelope's errorType
 * and errorMessage, a Batch job's reason, else the error as raised.
 */
export function errorOfTask(err: unknown): StepError {
  const e = err instanceof Error ? err : new Error(String(err));
  return taskError(e.name, e.message);
}

export function emulatorProgress(graph: RootGraph, listener: ProgressListener, options: EmulatorProgressOptions): EmulatorProgress {
  const pending = new Set<Promise<void>>();

  /**
   * Reports a step's end after reading its last attempt record (its number, error and execution);
   * a success whose handler said which attempt stands needs no read (one S3 listing less per step).
   */
  function reportEnd(stepPath: string, kind: string, status: "SUCCESS" | "FAIL", durationMs: number, seen?: StepError, skipped?: boolean, attempt?: number): void {
    if (status === "SUCCESS" && attempt !== undefined) {
      listener({ type: "step-end", stepPath, kind, status, durationMs, attempt, ...(skipped ? { skipped: true } : {}) });
      return;
    }
    const done = options.attempts(stepPath).then(
      (records) => records.at(-1),
      () => undefined,
    ).then((last) => {
      const error = status === "FAIL" ? (last?.status === "FAIL" && last.error ? last.error : seen) : undefined;
      // A SUCCESS recorded by an earlier execution: this one skipped the step (a Batch job says nothing else).
      const earlier = status === "SUCCESS" && last !== undefined && !last.key.startsWith(`${options.execution}-`);
      listener({
        type: "step-end", stepPath, kind, status, durationMs,
        ...(last ? { attempt: last.attempt } : {}),
        ...(error ? { error } : {}),
        ...(skipped || earlier ? { skipped: true } : {}),
      });
    });
    pending.add(done);
    void done.finally(() => pending.delete(done));
  }

  function wrap(handler: TaskHandler): TaskHandler {
    return async (input) => {
      const request = isObject(input) ? input : {};
      // lambda:invoke carries the event as Payload; a Batch job's is in its environment.
      const event = isObject(request.Payload) ? request.Payload : batchRequest(request);
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
          reportEnd(stepPath, node.kind, status, Date.now() - t0, undefined, payload.skipped === true, typeof payload.attempt === "number" ? payload.attempt : undefined);
        }
        return out;
      } catch (err) {
        if (stepPath && node && (action === "task" || action === "stub")) reportEnd(stepPath, node.kind, "FAIL", Date.now() - t0, errorOfTask(err));
        throw err;
      }
    };
  }

  return {
    wrap,
    async settled() {
      while (pending.size) await Promise.all([...pending]);
    },
  };
}
