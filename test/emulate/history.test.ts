// The execution history AWS records, counted by the emulator's machine (aws-local-stepfunctions with
// the emulator's additions) with fake step handlers: exact sequences for the cases AWS documents
// (GetExecutionHistory of a caught / uncaught Lambda error, a retry), agreement with the estimate
// `compile --explain` prints, and the inline-Map guard meeting the quota exactly where AWS would.
import { describe, expect, it } from "vitest";
import { BATCH_EVENT_ENV, compile, type AslDefinition } from "../../src/compile/index.js";
import { estimate } from "../../src/compile/estimate.js";
import { MAX_HISTORY_EVENTS, historyLimitCause, type HistoryEventType } from "../../src/compile/history.js";
import type { JsonObject } from "../../src/emulate/definition.js";
import { HistoryCounter, historyKinds } from "../../src/emulate/history.js";
import { runMachine, type ExecutionEvent, type MachineResult } from "../../src/emulate/machine.js";
import { ERRORS, PROTOCOL_VERSION, parseStepEvent, type StepEvent, type StepResult } from "../../src/runtime/protocol.js";
import { FIXTURE_PIPELINES } from "../compile/pipelines.js";
import { taskStateNames } from "../compile/emulator.js";

interface Counted extends MachineResult {
  history: number;
  /** AWS history event types, in the order the interpreter reported what they stand for. */
  types: HistoryEventType[];
  calls: StepEvent[];
}

/** Runs a definition with a handler for every Task; counts its history as the emulator does. */
async function counted(definition: JsonObject, handle: (input: unknown, state: string) => unknown, input: JsonObject = { runId: "run-1" }): Promise<Counted> {
  const counter = new HistoryCounter(historyKinds(definition));
  const types: HistoryEventType[] = [];
  const names = taskStateNames((definition as unknown as AslDefinition).States);
  const handlers = Object.fromEntries(names.map((name) => [name, async (input: unknown) => handle(input, name) as never]));
  const spy = new HistoryCounter(historyKinds(definition));
  const result = await runMachine(definition, input, {
    executionName: "exec-1", handlers, history: counter, retryIntervalMs: 0,
    onEvent: (e: ExecutionEvent) => types.push(...spy.awsEvents(e)),
  });
  return { ...result, history: counter.events, types, calls: [] };
}

/** A compiled pipeline run with fake step handlers answering like the real one (StepResult in the Lambda envelope). */
async function runCompiled(definition: AslDefinition, answer: (e: StepEvent) => Partial<StepResult> | void = () => {}): Promise<Counted> {
  const calls: StepEvent[] = [];
  const run = await counted(definition as unknown as JsonObject, (input) => {
    // A Lambda Task sends the event as Payload, a Batch job in its environment.
    const params = input as { Payload?: unknown; ContainerOverrides?: { Environment: { Name: string; Value: string }[] } };
    const event = parseStepEvent(params.Payload ?? JSON.parse(params.ContainerOverrides!.Environment.find((v) => v.Name === BATCH_EVENT_ENV)!.Value));
    calls.push(event);
    const result: StepResult = { v: PROTOCOL_VERSION, status: "SUCCESS", ...(answer(event) ?? {}) };
    // The real handler's mapStart also answers the last index (what the compiled chunking reads).
    if (event.action === "mapStart" && result.count !== undefined && result.last === undefined) result.last = result.count - 1;
    return { Payload: result, StatusCode: 200 };
  });
  return { ...run, calls };
}

const lambda = (extra: JsonObject): JsonObject => ({ Type: "Task", Resource: "arn:aws:states:::lambda:invoke", Parameters: { FunctionName: "f", Payload: {} }, ...extra });
const boom = () => {
  throw Object.assign(new Error("Some exception was raised."), { name: "Exception" });
};

describe("the history AWS records, state by state", () => {
  it("a caught Lambda error: TaskFailed, then TaskStateExited and the catcher's states", async () => {
    const run = await counted({
      StartAt: "Start",
      States: { Start: lambda({ Catch: [{ ErrorEquals: ["States.ALL"], Next: "Handler" }], End: true }), Handler: { Type: "Pass", End: true } },
    }, boom);
    expect(run.status).toBe("SUCCEEDED");
    expect(run.types).toEqual(["ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskFailed", "TaskStateExited",
      "PassStateEntered", "PassStateExited", "ExecutionSucceeded"]);
    expect(run.history).toBe(9);
  });

  it("an uncaught one: no TaskStateExited, the execution fails", async () => {
    const run = await counted({ StartAt: "Start", States: { Start: lambda({ End: true }) } }, boom);
    expect(run.status).toBe("FAILED");
    expect(run.types).toEqual(["ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskFailed", "ExecutionFailed"]);
  });

  it("a retried attempt schedules and starts the task again in the same state", async () => {
    let n = 0;
    const run = await counted({
      StartAt: "Start",
      States: { Start: lambda({ Retry: [{ ErrorEquals: ["Exception"], MaxAttempts: 2, IntervalSeconds: 1 }], End: true }) },
    }, () => (++n < 3 ? boom() : {}));
    expect(run.status).toBe("SUCCEEDED");
    expect(run.types).toEqual(["ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted",
      "TaskFailed", "TaskScheduled", "TaskStarted", "TaskFailed", "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited",
      "ExecutionSucceeded"]);
  });

  it("Map iterations and Parallel states: the Map records each iteration, a Parallel's branches record nothing of their own", async () => {
    const run = await counted({
      StartAt: "m",
      States: {
        m: { Type: "Map", ItemsPath: "$.xs", MaxConcurrency: 1, ItemProcessor: { StartAt: "p", States: { p: { Type: "Pass", End: true } } }, ResultPath: null, Next: "par" },
        par: { Type: "Parallel", Branches: [{ StartAt: "a", States: { a: { Type: "Pass", End: true } } }, { StartAt: "b", States: { b: { Type: "Pass", End: true } } }], End: true },
      },
    }, () => ({}), { xs: [1, 2, 3] });
    expect(run.status).toBe("SUCCEEDED");
    // ExecutionStarted/Succeeded 2, Map 4 + 3 × (2 iteration + 2 Pass), Parallel 4 + 2 × 2 Pass.
    expect(run.history).toBe(2 + 4 + 3 * 4 + 4 + 4);
    expect(run.types.filter((t) => t.startsWith("MapIteration"))).toHaveLength(6);
  });
});

describe("the estimate and the emulator count the same history", () => {
  const sizes: Record<string, number> = { fanout: 3, outer: 3, "outer.*.inner": 4 };
  for (const name of ["task", "shell", "stub", "batch", "parallel", "map", "nested_map", "conditional", "on_failure"]) {
    it(`${name}: every event the estimate predicts for a successful run, no more`, async () => {
      const pipeline = FIXTURE_PIPELINES[name]!();
      const result = compile(pipeline);
      const expected = Object.fromEntries(Object.keys(result.estimate.maps).map((p) => [p, sizes[p]!]));
      const run = await runCompiled(result.definition, (e) =>
        e.action === "mapStart" ? { count: sizes[e.path]! } : e.action === "conditionalStart" ? { branch: "high" } : {});
      expect(run.status, JSON.stringify(run.error)).toBe("SUCCEEDED");
      expect(run.history).toBe(estimate(result.graph, expected).estimate.historyEventsPerRun);
    });
  }
});

describe("the inline-Map guard and the quota", () => {
  const result = compile(FIXTURE_PIPELINES.map!());
  const bound = result.estimate.maps.fanout!.guardItems!;
  const mapSized = (n: number) => (e: StepEvent) => (e.action === "mapStart" ? { count: n } : {});

  it("lets the largest Map that fits run whole, within the quota", async () => {
    expect(bound).toBe(result.estimate.maps.fanout!.maxInlineMapItems);
    const run = await runCompiled(result.definition, mapSized(bound));
    expect(run.status).toBe("SUCCEEDED");
    expect(run.history).toBe(estimate(result.graph, { fanout: bound }).estimate.historyEventsPerRun);
    expect(run.history).toBeLessThanOrEqual(MAX_HISTORY_EVENTS);
    // The bound is tight: one more item's 7 events would not fit.
    expect(run.history + 7).toBeGreaterThan(MAX_HISTORY_EVENTS);
  }, 60_000);

  it("refuses one item more at the Map's start: nodeEnd FAIL with the count and the bound, no iteration runs", async () => {
    const run = await runCompiled(result.definition, mapSized(bound + 1));
    expect(run.status).toBe("FAILED");
    expect(run.error?.Error).toBe(ERRORS.mapTooLarge);
    expect(run.calls.map((c) => c.action)).toEqual(["start", "mapStart", "nodeEnd", "finalise"]);
    expect(run.calls[2]).toMatchObject({
      path: "fanout", status: "FAIL",
      error: { Error: "runnable.MapTooLarge", Cause: `Map "fanout" has ${bound + 1} items; inline Maps fit about ${bound} here; set distributed: true` },
    });
  });

  it("without the guard (Express has none), a larger Map meets the quota as AWS fails it: States.Runtime as event 25,000", async () => {
    const express = compile(FIXTURE_PIPELINES.map!(), { workflowType: "EXPRESS" });
    const run = await runCompiled(express.definition, mapSized(bound + 100));
    expect(run.status).toBe("FAILED");
    expect(run.error).toEqual({ Error: "States.Runtime", Cause: historyLimitCause() });
    expect(historyLimitCause()).toBe("The execution reached the maximum number of history events (25000).");
    expect(run.history).toBe(MAX_HISTORY_EVENTS);
    expect(run.events.at(-1)).toMatchObject({ type: "ExecutionFailed", error: "States.Runtime", history: MAX_HISTORY_EVENTS });
    // Stopped where the history ran out: the last iterations, the report and the finalise never ran.
    const ran = run.calls.filter((c) => c.action === "task");
    expect(ran.length).toBeLessThan(bound + 100);
    expect(ran.length).toBeGreaterThan(bound - 100);
    expect(run.calls.some((c) => c.path === "report" || c.action === "finalise")).toBe(false);
  }, 60_000);
});
