import { createHash } from "node:crypto";
import type { Json, JsonObject } from "./definition.js";
import { ExecutionError, StateMachine, type StateMachineDefinition } from "./interpreter.js";
import { HistoryLimitExceeded, type HistoryRecorder } from "./history.js";
import { DataLimitExceeded, checkPayload } from "./limits.js";

/**
 * One execution of a definition in aws-local-stepfunctions, with the Step Functions behaviour it
 * lacks added around it: the 256 KiB payload limit on every state's input and output (terminal:
 * the execution is stopped, as `States.DataLimitExceeded` cannot be caught), the 25,000-event
 * history quota (counted as AWS counts, see history.ts), `$$.State.RetryCount` in the context, and
 * an event log a user can read afterwards.
 */

/** One entry of the execution event log (what Step Functions' execution history would show). */
export interface ExecutionEvent {
  /** Epoch ms. */
  timestamp: number;
  type: string;
  /** State name, for state events. */
  state?: string;
  stateType?: string;
  /** Map iteration index, for events inside a Map. */
  index?: number;
  /** The enclosing Map/Parallel state, for iteration/branch events. */
  parent?: string;
  error?: string;
  cause?: string;
  /** Retry attempt number (StateRetried). */
  attempt?: number;
  /** Events AWS would have recorded in the execution history by the end of this one (when counted). */
  history?: number;
  input?: Json;
  output?: Json;
}

export type TaskHandler = (input: Json) => Promise<Json>;

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export interface MachineRunOptions {
  /** `$$.Execution.Name`. */
  executionName: string;
  /** A local handler for every Task state, by state name. */
  handlers: Record<string, TaskHandler>;
  onEvent?: (event: ExecutionEvent) => void;
  /** Wait between retries in ms instead of the Retry policy's (fast tests only). */
  retryIntervalMs?: number;
  /** Set when a handler found a terminal problem; the execution is then stopped. */
  control?: ExecutionControl;
  /**
   * A state whose input is exempt from the payload check, and the input field left out of its
   * events (the Distributed Map stand-in's inline Map gets the whole item list there).
   */
  exempt?: { state: string; drop: string };
  /** Counts the execution history AWS would record and stops the execution at its quota. */
  history?: HistoryRecorder;
}

/** Lets task handlers end the whole execution with an error no Catch may handle. */
export class ExecutionControl {
  terminal: { Error: string; Cause: string } | undefined;
  /** The error that set `terminal` (it may say more than the Cause AWS reports). */
  reason: Error | undefined;
  abort: (() => void) | undefined;
  private readonly children = new Set<ExecutionControl>();

  stop(error: Error): void {
    if (!this.terminal) {
      this.terminal = { Error: error.name, Cause: error.message };
      this.reason = error;
    }
    this.abort?.();
    for (const child of this.children) child.stop(error);
  }

  /** A control for executions started by this one (Distributed Map children): stopped with it, but stopping alone. */
  child(): ExecutionControl {
    const child = new ExecutionControl();
    this.children.add(child);
    if (this.terminal) child.stop(this.reason!);
    return child;
  }
}

export interface MachineResult {
  status: "SUCCEEDED" | "FAILED";
  output?: Json;
  error?: { Error: string; Cause: string };
  events: ExecutionEvent[];
}

// Validating a definition costs ≈ 250 ms: each distinct definition is validated once per process.
const validated = new Set<string>();

function machineFor(definition: JsonObject): StateMachine {
  const key = createHash("sha256").update(JSON.stringify(definition)).digest("hex");
  const def = definition as unknown as StateMachineDefinition;
  if (validated.has(key)) return new StateMachine(def, { validationOptions: { noValidate: true } });
  const machine = new StateMachine(def, { validationOptions: { checkPaths: true, checkArn: false } });
  validated.add(key);
  return machine;
}

export async function runMachine(definition: JsonObject, input: JsonObject, options: MachineRunOptions): Promise<MachineResult> {
  const control = options.control ?? new ExecutionControl();
  try {
    if (!options.exempt) checkPayload(input, "the execution input");
  } catch (err) {
    return { status: "FAILED", error: { Error: (err as Error).name, Cause: (err as Error).message }, events: [] };
  }
  const machine = machineFor(definition);
  // Every Task waits one macrotask before it starts: a terminal error found in the event stream of the
  // state before (all of which runs in microtasks) is known by then, and the Task is not started.
  const handlers: Record<string, TaskHandler> = {};
  for (const [name, handler] of Object.entries(options.handlers)) {
    handlers[name] = async (input) => {
      await new Promise((resolve) => setImmediate(resolve));
      if (control.terminal) throw Object.assign(new Error(control.terminal.Cause), { name: control.terminal.Error });
      return handler(input);
    };
  }
  const retryIntervalOverrides = options.retryIntervalMs === undefined ? undefined
    : Object.fromEntries(Object.keys(handlers).map((name) => [name, options.retryIntervalMs!]));
  const execution = machine.run(input, {
    noThrowOnAbort: true,
    // `$$.State.RetryCount` is not provided by the interpreter; handlers receive the real count (see run.ts).
    // The emulator never redrives an execution (a retry is a new execution): `$$.Execution.RedriveCount` is 0.
    context: { Execution: { Name: options.executionName, RedriveCount: 0 }, State: { RetryCount: 0 } },
    overrides: { taskResourceLocalHandlers: handlers, ...(retryIntervalOverrides ? { retryIntervalOverrides } : {}) },
  });
  control.abort = execution.abort;
  const events: ExecutionEvent[] = [];
  const logging = (async () => {
    for await (const rawEvent of execution.eventLogs) {
      const raw = rawEvent as unknown as RawEvent;
      // After a terminal error the execution is being stopped: what the interpreter still does is not Step Functions'.
      if (control.terminal) continue;
      const event = toEvent(raw);
      const limit = options.history?.record(event, { stateInput: raw.state?.input, parentInput: raw.parentState?.input });
      if (limit) {
        // AWS's history ends before this event: its last one is the ExecutionFailed added below.
        control.stop(limit);
        continue;
      }
      if (options.history) event.history = options.history.events;
      if (options.exempt && event.state === options.exempt.state && isObject(event.input)) {
        const { [options.exempt.drop]: _items, ...rest } = event.input;
        event.input = rest;
      }
      try {
        if (event.type === "StateEntered" && event.state !== options.exempt?.state) checkPayload(event.input, `the input of state "${event.state}"`);
        if (event.type === "StateExited") checkPayload(event.output, `the output of state "${event.state}"`);
      } catch (err) {
        if (!(err instanceof DataLimitExceeded)) throw err;
        // Keep the log readable: the oversized value is replaced by its description.
        if (event.type === "StateEntered") event.input = err.message;
        else event.output = err.message;
        control.stop(err);
      }
      events.push(event);
      options.onEvent?.(event);
    }
  })();
  let output: Json | undefined;
  let failure: { Error: string; Cause: string } | undefined;
  try {
    output = (await execution.result) as Json;
  } catch (err) {
    const cause = err instanceof ExecutionError ? (err.cause as Error | undefined) : (err as Error);
    failure = { Error: cause?.name ?? "Error", Cause: cause?.message ?? String(err) };
  }
  await logging.catch(() => undefined);
  // A terminal error (oversized payload) wins over whatever the interpreter reported after it.
  const error = control.terminal ?? failure;
  if (control.terminal) {
    const failed: ExecutionEvent = { timestamp: Date.now(), type: "ExecutionFailed", error: control.terminal.Error, cause: control.terminal.Cause };
    const where = control.reason instanceof HistoryLimitExceeded ? control.reason : undefined;
    if (where?.state !== undefined) failed.state = where.state;
    if (where?.index !== undefined) failed.index = where.index;
    // A Distributed Map's stand-in run: what failed is one of the Map's child executions.
    if (options.exempt) failed.parent = options.exempt.state;
    if (options.history) {
      options.history.record(failed);
      failed.history = options.history.events;
    }
    events.push(failed);
    options.onEvent?.(failed);
  }
  return error ? { status: "FAILED", error, events } : { status: "SUCCEEDED", output: output ?? null, events };
}

interface RawEvent {
  type: string;
  timestamp: number;
  state?: { name: string; type: string; input?: Json; output?: Json };
  parentState?: { name: string; input?: Json };
  index?: number;
  Error?: string;
  Cause?: unknown;
  retry?: { attempt: number };
  input?: Json;
  output?: Json;
}

function toEvent(raw: RawEvent): ExecutionEvent {
  const e: ExecutionEvent = { timestamp: raw.timestamp, type: raw.type };
  if (raw.state) {
    e.state = raw.state.name;
    e.stateType = raw.state.type;
    // Map inputs on failure/retry identify the Map instance (see map-gate.ts).
    if (raw.type === "StateEntered" || (raw.state.type === "Map" && (raw.type === "StateFailed" || raw.type === "StateRetried"))) e.input = raw.state.input;
    if (raw.type === "StateExited") e.output = raw.state.output;
  }
  if (raw.parentState) e.parent = raw.parentState.name;
  if (raw.index !== undefined) e.index = raw.index;
  if (raw.Error !== undefined) e.error = raw.Error;
  if (raw.Cause !== undefined) e.cause = typeof raw.Cause === "string" ? raw.Cause : JSON.stringify(raw.Cause);
  if (raw.retry) e.attempt = raw.retry.attempt;
  if (raw.type === "ExecutionStarted") e.input = raw.input;
  if (raw.type === "ExecutionSucceeded") e.output = raw.output;
  return e;
}
