// What the emulator adds to the interpreter and checks like Step Functions does: retry of a failed
// run, the execution event log with the real error envelope, killing a handler that outlives its
// timeout, the 256 KiB payload limit (terminal), and refusing what it cannot run faithfully.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { inspectDefinition } from "../../src/emulate/definition.js";
import { readEventLog, retryInEmulator, runInEmulator } from "../../src/emulate/index.js";
import { runMachine } from "../../src/emulate/machine.js";
import { TaskError } from "../../src/emulate/workers.js";
import { createRun } from "../../src/runtime/index.js";
import { load, tempDir, useEmulator } from "./compare.js";

const fixture = (name: string) => join(import.meta.dirname, "fixtures", `${name}.ts`);

const emulator = useEmulator(2);

describe("retry of an emulator run", () => {
  it("re-executes only what failed, in a new execution of the same run", async () => {
    const p = await load(fixture("resumable"));
    const counter_dir = tempDir("resumable-");
    const first = await runInEmulator({ built: p.built, source: p.source, parameters: { counter_dir }, session: emulator.session(), retryIntervalMs: 0 });
    expect(first.status).toBe("FAIL");
    expect(first.runLog.steps.gate?.attempts[0]?.error?.message).toContain("not fixed yet");

    writeFileSync(join(counter_dir, "fixed"), "");
    const again = await retryInEmulator(first.runId, { session: emulator.session(), retryIntervalMs: 0 });
    expect(again.runId).toBe(first.runId);
    expect(again.status).toBe("SUCCESS");
    expect(again.parameters.message).toBe("answer 42");
    expect(again.runLog.steps.once?.attempts).toHaveLength(1);
    expect(again.runLog.steps.gate?.attempts.map((a) => [a.attempt, a.status])).toEqual([[1, "FAIL"], [2, "SUCCESS"]]);
    // `once` really did not run again.
    const { readFileSync } = await import("node:fs");
    expect(readFileSync(join(counter_dir, "once-runs"), "utf8")).toBe("1");

    await expect(retryInEmulator(first.runId, { session: emulator.session() })).rejects.toThrow(/already succeeded/);

    // Both executions' event logs are kept with the run.
    const logs = await readEventLog(first.runId, { s3Endpoint: emulator.s3().endpoint, bucket: emulator.s3().bucket });
    expect(logs.map((l) => [l.execution, l.status])).toEqual([[first.runId, "FAILED"], ["retry-1", "SUCCEEDED"]]);
  }, 60_000);
});

describe("execution event log", () => {
  it("records state transitions, retries with the Lambda error envelope, and the failure", async () => {
    const p = await load(fixture("flaky"));
    const seen: string[] = [];
    const r = await runInEmulator({
      built: p.built, source: p.source, parameters: { counter_dir: tempDir("flaky-") }, session: emulator.session(), retryIntervalMs: 0,
      onExecutionEvent: (e) => seen.push(e.type),
    });
    expect(r.status).toBe("SUCCESS");
    const [log] = await readEventLog(r.runId, { s3Endpoint: emulator.s3().endpoint, bucket: emulator.s3().bucket });
    expect(log!.events.map((e) => e.type)).toEqual(seen);
    expect(seen[0]).toBe("ExecutionStarted");
    expect(seen.at(-1)).toBe("ExecutionSucceeded");
    const failed = log!.events.filter((e) => e.type === "StateFailed" && e.state === "flaky");
    expect(failed).toHaveLength(2);
    expect(failed[0]!.error).toBe("runnable.StepFailed");
    // The Cause is what Step Functions shows for a Lambda error: a JSON string of errorType/errorMessage/trace.
    expect(JSON.parse(failed[0]!.cause!)).toMatchObject({ errorType: "runnable.StepFailed", errorMessage: expect.stringContaining("not yet (attempt 1)") });
    expect(log!.events.filter((e) => e.type === "StateRetried" && e.state === "flaky").map((e) => e.attempt)).toEqual([1, 2]);
    // The emulator's own gate states never show.
    expect(log!.events.some((e) => e.state?.startsWith("@gate-"))).toBe(false);
  }, 60_000);
});

describe("handler processes", () => {
  it("a handler that blocks past its timeout is killed and reported as States.Timeout; the next invocation gets a fresh process", async () => {
    const p = await load(fixture("limits"));
    const header = await createRun(emulator.session().storage.stores, { built: p.built, parameters: { spin_ms: 5000, counter_dir: tempDir("spin-") }, mode: "emulator", source: p.source });
    const pool = emulator.session().pool(p.source, p.built.graph.name);
    const event = { v: 1, action: "task", runId: header.runId, path: "spinner", indexes: [], execution: "x", retryCount: 0 };
    const kills = pool.stats.kills;
    const failure = await pool.invoke(event, { timeoutMs: 1500, memoryMiB: 512, functionName: "step", timeoutError: "States.Timeout" }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(TaskError);
    expect((failure as TaskError).name).toBe("States.Timeout");
    expect(JSON.parse((failure as TaskError).message)).toMatchObject({ errorType: "States.Timeout", errorMessage: "Task timed out after 1.50 seconds" });
    expect(pool.stats.kills).toBe(kills + 1);
    const start = { ...event, action: "start", path: "" };
    await expect(pool.invoke(start, { timeoutMs: 30_000, memoryMiB: 512, functionName: "step" })).resolves.toMatchObject({ status: "SUCCESS" });
  }, 60_000);
});

describe("each step runs in a function of its own size, as the CDK stack deploys it", () => {
  it("gives handler processes the memory of the step's function (a 256 MiB, a 2048 MiB and a default 1024 MiB step)", async () => {
    const p = await load(fixture("sized"));
    const run = await runInEmulator({ built: p.built, source: p.source, parameters: {}, session: emulator.session() });
    expect(run.status).toBe("SUCCESS");
    // V8's heap limit follows --max-old-space-size (plus a young generation of a few MiB).
    const heap = run.parameters as Record<string, number>;
    expect(heap.small_heap).toBeGreaterThanOrEqual(256);
    expect(heap.small_heap).toBeLessThan(400);
    expect(heap.large_heap).toBeGreaterThanOrEqual(2048);
    expect(heap.large_heap).toBeLessThan(2300);
    expect(heap.plain_heap).toBeGreaterThanOrEqual(1024);
    expect(heap.plain_heap).toBeLessThan(1200);
  }, 60_000);
});

describe("runs ended outside any step are finalised, as the stack's EventBridge rule does", () => {
  it("an execution aborted mid-run (StopExecution) ends its run FAIL with the cause; later steps never run", async () => {
    const p = await load(fixture("stoppable"));
    const stop = new AbortController();
    const run = await runInEmulator({
      built: p.built, source: p.source, parameters: {}, session: emulator.session(), signal: stop.signal,
      onEvent: (e) => { if (e.type === "step-start" && e.stepPath === "wait") stop.abort(new Error("stopped by the operator")); },
    });
    expect(run.status).toBe("FAIL");
    expect(run.runLog.status).toBe("FAIL");
    expect((run.runLog as { error?: unknown }).error).toEqual({ name: "ExecutionAborted", message: "stopped by the operator" });
    expect(run.runLog.steps.first?.status).toBe("SUCCESS");
    expect(run.runLog.steps.never).toBeUndefined();
    expect(run.parameters).toMatchObject({ one: 1 });
    const [log] = await readEventLog(run.runId, { s3Endpoint: emulator.s3().endpoint, bucket: emulator.s3().bucket });
    expect(log).toMatchObject({ status: "ABORTED", error: { Error: "ExecutionAborted", Cause: "stopped by the operator" } });
    expect(log!.events.at(-1)).toMatchObject({ type: "ExecutionAborted" });
  }, 60_000);
});

describe("memory limit", () => {
  it("a step that outgrows its memoryMiB kills its process: Lambda.Unknown, and the process is replaced", async () => {
    const p = await load(fixture("hog"));
    const header = await createRun(emulator.session().storage.stores, { built: p.built, parameters: {}, mode: "emulator", source: p.source });
    const pool = emulator.session().pool(p.source, p.built.graph.name);
    const event = (path: string) => ({ v: 1, action: "task", runId: header.runId, path, indexes: [], execution: "x", retryCount: 0 });
    const failure = await pool.invoke(event("hog"), { timeoutMs: 60_000, memoryMiB: 128, functionName: "step" }).catch((e: unknown) => e);
    expect((failure as TaskError).name).toBe("Lambda.Unknown");
    expect(JSON.parse((failure as TaskError).message).errorMessage).toMatch(/Runtime exited with error[\s\S]*heap/i);
    await expect(pool.invoke(event("fine"), { timeoutMs: 60_000, memoryMiB: 128, functionName: "step" })).resolves.toMatchObject({ status: "SUCCESS" });
  }, 60_000);
});

describe("payload limit", () => {
  const big = "x".repeat(300 * 1024);
  const definition = {
    StartAt: "A",
    States: {
      A: { Type: "Task", Resource: "arn:aws:states:::lambda:invoke", Catch: [{ ErrorEquals: ["States.ALL"], Next: "Caught" }], Next: "Done" },
      Caught: { Type: "Task", Resource: "arn:aws:states:::lambda:invoke", End: true },
      Done: { Type: "Pass", End: true },
    },
  };

  it("an oversized state output is States.DataLimitExceeded, which no Catch handles", async () => {
    let caught = false;
    const r = await runMachine(definition, { runId: "r" }, {
      executionName: "e",
      handlers: { A: async () => ({ Payload: big, StatusCode: 200 }), Caught: async () => ((caught = true), {}) },
    });
    expect(caught).toBe(false);
    expect(r.status).toBe("FAILED");
    expect(r.error?.Error).toBe("States.DataLimitExceeded");
    expect(r.error?.Cause).toMatch(/over the Step Functions limit of 262144 bytes/);
    expect(r.events.some((e) => e.state === "Caught" || e.state === "Done")).toBe(false);
    expect(r.events.at(-1)).toMatchObject({ type: "ExecutionFailed", error: "States.DataLimitExceeded" });
  });

  it("an oversized execution input is refused", async () => {
    const r = await runMachine(definition, { runId: "r", pad: big }, { executionName: "e", handlers: { A: async () => ({}), Caught: async () => ({}) } });
    expect(r.error?.Error).toBe("States.DataLimitExceeded");
    expect(r.events).toEqual([]);
  });

  it("just under the limit passes", async () => {
    const r = await runMachine(definition, { runId: "r" }, {
      executionName: "e", handlers: { A: async () => ({ Payload: "x".repeat(200 * 1024), StatusCode: 200 }), Caught: async () => ({}) },
    });
    expect(r.status).toBe("SUCCEEDED");
  });
});

describe("what the emulator refuses", () => {
  it("a Task whose resource has no local handler (it would call AWS), JSONata, and unemulated Map options", () => {
    const { problems, tasks } = inspectDefinition({
      QueryLanguage: "JSONata",
      StartAt: "Q",
      States: {
        Q: { Type: "Task", Resource: "arn:aws:states:::sqs:sendMessage", Next: "L" },
        L: { Type: "Task", Resource: "arn:aws:states:::lambda:invoke", Next: "M" },
        M: { Type: "Map", ItemReader: { Resource: "arn:aws:states:::s3:listObjectsV2" }, ItemBatcher: {}, ItemProcessor: { StartAt: "P", States: { P: { Type: "Pass", End: true } } }, End: true },
      },
    });
    expect([...tasks.keys()]).toEqual(["L"]);
    expect(problems.map((p) => p.state)).toEqual(["(definition)", "Q", "M", "M"]);
    expect(problems.find((p) => p.state === "Q")?.message).toMatch(/no local handler in the emulator; refusing to start rather than call AWS/);
  });
});
