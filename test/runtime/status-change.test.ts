// The run finaliser (EventBridge "Step Functions Execution Status Change" → handlers/finaliser.ts):
// a run whose execution failed, timed out or was aborted outside any Catch ends FAIL with the
// execution's error and cause; everything else is left alone, and a second delivery changes nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeFinaliserHandler } from "../../handlers/finaliser.js";
import { buildGraph } from "../../src/graph/index.js";
import { FunctionTask, Pipeline } from "../../src/index.js";
import { createRun, handleStepEvent } from "../../src/runtime/index.js";
import { finaliseFromStatusChange, type StatusChangeEvent } from "../../src/runtime/status-change.js";
import { memoryStores, pipelineScope, s3Stores } from "../../src/store/index.js";
import { type S3rverHandle, startS3rver } from "../helpers/s3rver.js";
import { tempDir } from "../execute/helpers.js";

const built = buildGraph(new Pipeline({ name: "fin", steps: [
  new FunctionTask({ name: "load", function: () => 42, returns: ["answer"] }),
  new FunctionTask({ name: "train", function: () => 1 }),
] }));

async function started() {
  const stores = memoryStores();
  const { runId } = await createRun(stores, { built, parameters: { p: 1 }, mode: "emulator" });
  const ctx = { built, stores, workDir: tempDir() };
  await handleStepEvent({ v: 1, action: "start", runId, path: "", indexes: [], execution: runId, retryCount: 0 }, ctx);
  await handleStepEvent({ v: 1, action: "task", runId, path: "load", indexes: [], execution: runId, retryCount: 0 }, ctx);
  return { stores, runId, deps: { stores, graphs: new Map([["fin", built.graph]]) } };
}

const statusChange = (runId: string, status: string, extra: Partial<StatusChangeEvent["detail"]> = {}): StatusChangeEvent => ({
  source: "aws.states", "detail-type": "Step Functions Execution Status Change",
  detail: { executionArn: `arn:aws:states:us-east-1:1:execution:m:${runId}`, name: runId, status, input: JSON.stringify({ runId }), ...extra },
});

describe("finaliseFromStatusChange", () => {
  it("ends a RUNNING run FAIL with the execution's error and cause, keeping what its steps returned", async () => {
    const { stores, runId, deps } = await started();
    expect((await stores.runLog.readRunLog(runId)).status).toBe("RUNNING");
    const out = await finaliseFromStatusChange(statusChange(runId, "FAILED", { error: "States.Runtime", cause: "history limit of 25000 events reached" }), deps);
    expect(out).toEqual({ action: "finalised", runId, execution: runId, error: { Error: "States.Runtime", Cause: "history limit of 25000 events reached" } });
    const log = await stores.runLog.readRunLog(runId);
    expect(log.status).toBe("FAIL");
    expect(log.endedAt).not.toBeNull();
    expect(log.finalParameters).toEqual({ p: 1, answer: 42 });
    expect((log as { error?: unknown }).error).toEqual({ name: "States.Runtime", message: "history limit of 25000 events reached" });
  });

  it("asks DescribeExecution when the event carries no error, and names timeouts and aborts itself when AWS gives none", async () => {
    const { runId, deps, stores } = await started();
    const asked: string[] = [];
    const describe = async (arn: string) => (asked.push(arn), { error: "States.Timeout", cause: "execution timed out after 3600 s" });
    expect(await finaliseFromStatusChange(statusChange(runId, "TIMED_OUT"), { ...deps, describe })).toMatchObject({ error: { Error: "States.Timeout", Cause: "execution timed out after 3600 s" } });
    expect(asked).toEqual([`arn:aws:states:us-east-1:1:execution:m:${runId}`]);
    expect((await stores.runLog.readRunLog(runId)).status).toBe("FAIL");
    const other = await started();
    expect(await finaliseFromStatusChange(statusChange(other.runId, "ABORTED"), other.deps)).toMatchObject({ error: { Error: "ExecutionAborted" } });
  });

  it("is idempotent with @run-failed: a run already finalised keeps its first end record", async () => {
    const { stores, runId, deps } = await started();
    await handleStepEvent({ v: 1, action: "finalise", runId, path: "", indexes: [], execution: runId, retryCount: 0, status: "FAIL", error: { Error: "runnable.StepFailed" } },
      { built, stores, workDir: tempDir() });
    const before = await stores.runLog.readRunLog(runId);
    await finaliseFromStatusChange(statusChange(runId, "FAILED", { error: "States.Runtime", cause: "late" }), deps);
    await finaliseFromStatusChange(statusChange(runId, "FAILED", { error: "States.Runtime", cause: "again" }), deps);
    expect(await stores.runLog.readRunLog(runId)).toEqual(before);
  });

  it("a redriven execution records under its own id: the redrive re-runs the failed step and ends the run SUCCESS, the first try's records kept", async () => {
    let calls = 0;
    const flaky = buildGraph(new Pipeline({ name: "fin", steps: [
      new FunctionTask({ name: "load", function: () => 42, returns: ["answer"] }),
      new FunctionTask({ name: "train", function: () => { if (++calls === 1) throw new Error("spot instance lost"); return 7; }, returns: ["model"] }),
    ] }));
    const stores = memoryStores();
    const { runId } = await createRun(stores, { built: flaky, parameters: {}, mode: "aws" });
    const ctx = { built: flaky, stores, workDir: tempDir() };
    const event = (action: "start" | "task" | "finalise", path: string, redriveCount?: number) =>
      ({ v: 1 as const, action, runId, path, indexes: [], execution: runId, retryCount: 0, ...(redriveCount !== undefined ? { redriveCount } : {}) });
    await handleStepEvent(event("start", "", 0), ctx);
    await handleStepEvent(event("task", "load", 0), ctx);
    await expect(handleStepEvent(event("task", "train", 0), ctx)).rejects.toThrow("spot instance lost");
    // The execution is stopped there (StopExecution): the finaliser ends the run FAIL.
    const deps = { stores, graphs: new Map([["fin", flaky.graph]]) };
    expect(await finaliseFromStatusChange(statusChange(runId, "ABORTED", { redriveCount: 0 }), deps)).toMatchObject({ execution: runId });
    expect((await stores.runLog.readRunLog(runId)).status).toBe("FAIL");
    // RedriveExecution: same execution name, $$.Execution.RedriveCount = 1, resumed at the failed state.
    await handleStepEvent(event("task", "train", 1), ctx);
    await handleStepEvent({ ...event("finalise", "", 1), status: "SUCCESS" }, ctx);
    const log = await stores.runLog.readRunLog(runId);
    expect(log.status).toBe("SUCCESS");
    expect(log.finalParameters).toEqual({ answer: 42, model: 7 });
    expect(log.steps.train!.attempts.map((a) => [a.attempt, a.status, a.error?.message])).toEqual([[1, "FAIL", "spot instance lost"], [2, "SUCCESS", undefined]]);
    expect((await stores.runLog.attempts(runId, "train")).map((a) => a.key)).toEqual([`${runId}-0`, `${runId}-redrive-1-0`]);
    expect(log.steps.load!.attempts).toHaveLength(1);
    // A status change of the redriven execution (say it failed again) is recorded under its id too.
    expect(await finaliseFromStatusChange(statusChange(runId, "FAILED", { redriveCount: 2 }), deps)).toMatchObject({ execution: `${runId}-redrive-2` });
  });

  it("ignores other statuses, Distributed Map children, inputs without a run id, unknown runs and pipelines", async () => {
    const { stores, runId, deps } = await started();
    const ignored = async (e: StatusChangeEvent, d = deps) => (await finaliseFromStatusChange(e, d)).action;
    expect(await ignored(statusChange(runId, "SUCCEEDED"))).toBe("ignored");
    expect(await ignored(statusChange(runId, "FAILED", { input: JSON.stringify({ runId, x: runId, i0: 3 }) }))).toBe("ignored");
    expect(await ignored(statusChange(runId, "FAILED", { input: "{}" }))).toBe("ignored");
    expect(await ignored(statusChange(runId, "FAILED", { input: "not json" }))).toBe("ignored");
    expect(await ignored(statusChange("no-such-run", "FAILED"))).toBe("ignored");
    expect(await ignored(statusChange(runId, "FAILED"), { ...deps, graphs: new Map() })).toBe("ignored");
    expect((await stores.runLog.readRunLog(runId)).status).toBe("RUNNING");
  });
});

describe("the finaliser Lambda (handlers/finaliser.ts) on a bucket with per-pipeline key scopes", () => {
  let s3: S3rverHandle;
  beforeAll(async () => {
    s3 = await startS3rver({ bucket: "finaliser-runs" });
  }, 60_000);
  afterAll(async () => {
    await s3?.stop();
  });

  const ARNS = { fin: "arn:aws:states:us-east-1:1:stateMachine:Test-fin", other: "arn:aws:states:us-east-1:1:stateMachine:Test-other" };
  const otherBuilt = { ...built, graph: { ...built.graph, name: "other" } };

  it("finalises the run in the scope of the execution's own pipeline only; an unknown state machine is ignored", async () => {
    const scoped = (name: string) => s3Stores({ bucket: s3.bucket, client: s3.client, prefix: pipelineScope(name) });
    // The same run id in two pipelines' scopes (possible with direct StartExecution calls).
    const runId = "same-id-1";
    for (const [name, b] of [["fin", built], ["other", otherBuilt]] as const) {
      const stores = scoped(name);
      await createRun(stores, { built: b, parameters: { p: 1 }, mode: "emulator", runId });
      await handleStepEvent({ v: 1, action: "start", runId, path: "", indexes: [], execution: runId, retryCount: 0 }, { built: b, stores, workDir: tempDir() });
    }
    const handler = makeFinaliserHandler({ fin: built.graph, other: otherBuilt.graph }, {
      RUNNABLE_BUCKET: s3.bucket, RUNNABLE_S3_ENDPOINT: s3.endpoint, AWS_REGION: "us-east-1", RUNNABLE_STATE_MACHINES: JSON.stringify(ARNS),
    }, { send: async () => ({}) } as never);
    const failed = (arn: string) => statusChange(runId, "FAILED", { stateMachineArn: arn, error: "States.Runtime", cause: "quota" });
    expect(await handler(failed("arn:aws:states:us-east-1:1:stateMachine:Elsewhere"))).toMatchObject({ action: "ignored", reason: expect.stringMatching(/not one of this stack's/) });
    expect(await handler(failed(ARNS.other))).toMatchObject({ action: "finalised", runId });
    expect((await scoped("other").runLog.readRunLog(runId)).status).toBe("FAIL");
    expect((await scoped("fin").runLog.readRunLog(runId)).status).toBe("RUNNING");
    expect(await s3Stores({ bucket: s3.bucket, client: s3.client }).runLog.getHeader(runId)).toBeUndefined();
  }, 60_000);
});
