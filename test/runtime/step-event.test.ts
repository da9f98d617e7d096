import { describe, expect, it } from "vitest";
import { buildGraph } from "../../src/graph/index.js";
import { Conditional, Fail, FunctionTask, Map as MapStep, Pipeline, RunnableError, Stub } from "../../src/index.js";
import { StepFailure } from "../../src/sdk/errors.js";
import { createRun, handleStepEvent, type StepContext } from "../../src/runtime/index.js";
import type { StepEvent } from "../../src/runtime/protocol.js";
import { MemoryBlobStore, memoryStores, storesOn } from "../../src/store/index.js";
import type { BlobStore } from "../../src/store/types.js";
import { tempDir } from "../execute/helpers.js";

let calls = 0;
let failUntil = 0;
const pipeline = new Pipeline({ name: "events", steps: [
  new FunctionTask({ name: "flaky", returns: ["n"], function: () => {
    calls++;
    if (calls <= failUntil) throw new TypeError(`failure number ${calls}`);
    return calls;
  } }),
  new FunctionTask({ name: "slow", function: () => new Promise((r) => setTimeout(r, 5000)) }),
  new Stub({ name: "stub", returns: ["s"] }),
  new Conditional({ name: "cond", parameter: "key", branches: { a: new Stub({ name: "sa" }).asPipeline() } }),
  new MapStep({ name: "fan", iterateOn: "items", iterateAs: "item", distributed: true, branch: new Stub({ name: "each" }).asPipeline() }),
  new Fail({ name: "stop" }),
] });

async function setup(parameters: Record<string, never> | Record<string, unknown> = { key: "zzz", items: [1, 2, 3] }) {
  const stores = memoryStores();
  const built = buildGraph(pipeline);
  const { runId } = await createRun(stores, { built, parameters: parameters as never, mode: "local" });
  const ctx: StepContext = { built, stores, workDir: tempDir() };
  const send = (action: StepEvent["action"], path = "", extra: Partial<StepEvent> = {}) =>
    handleStepEvent({ v: 1, action, runId, path, indexes: [], execution: "exec-1", retryCount: 0, ...extra }, ctx);
  await send("start");
  return { stores, built, runId, ctx, send };
}

describe("handleStepEvent", () => {
  it("throws runnable.StepFailed with the user's message after recording the failed attempt, and numbers attempts on", async () => {
    calls = 0;
    failUntil = 2;
    const { send, stores, runId } = await setup();
    // A StepFailure (a RunnableError) whose typed code is the ASL name Retry/Catch and the run log see.
    const first = await send("task", "flaky").catch((e: unknown) => e);
    expect(first).toBeInstanceOf(StepFailure);
    expect(first).toBeInstanceOf(RunnableError);
    expect(first).toMatchObject({ name: "runnable.StepFailed", code: "runnable.StepFailed", message: "failure number 1" });
    await expect(send("task", "flaky", { retryCount: 1 })).rejects.toMatchObject({ name: "runnable.StepFailed", message: "failure number 2" });
    expect(await send("task", "flaky", { execution: "retry-1" })).toEqual({ v: 1, status: "SUCCESS", attempt: 3 });
    const attempts = await stores.runLog.attempts(runId, "flaky");
    expect(attempts.map((a) => [a.attempt, a.key, a.status, a.error?.name ?? null])).toEqual([
      [1, "exec-1-0", "FAIL", "TypeError"], [2, "exec-1-1", "FAIL", "TypeError"], [3, "retry-1-0", "SUCCESS", null],
    ]);
    expect(attempts[0]!.error!.stack).toMatch(/TypeError: failure number 1/);
    expect(attempts[2]!.outputParameters).toEqual({ n: 3 });
  });

  it("skips a step that already succeeded, and answers a redelivered attempt with its first result", async () => {
    calls = 0;
    failUntil = 1;
    const { send, stores, runId } = await setup();
    await expect(send("task", "flaky")).rejects.toThrow("failure number 1");
    await expect(send("task", "flaky")).rejects.toThrow("failure number 1"); // redelivery: same key, not run again
    expect(calls).toBe(1);
    await send("task", "flaky", { retryCount: 1 });
    expect(await send("task", "flaky", { retryCount: 2 })).toEqual({ v: 1, status: "SUCCESS", attempt: 2, skipped: true });
    expect(calls).toBe(2);
    expect((await stores.runLog.attempts(runId, "flaky")).length).toBe(2);
  });

  it("fails an attempt with runnable.Timeout and records it before the handler's deadline", async () => {
    const { send, stores, runId, ctx } = await setup();
    const deadline = Date.now() + 1500;
    ctx.deadline = deadline;
    await expect(send("task", "slow")).rejects.toMatchObject({ name: "runnable.Timeout", code: "runnable.Timeout" });
    const [attempt] = await stores.runLog.attempts(runId, "slow");
    expect(attempt!.error).toMatchObject({ name: "runnable.Timeout", message: expect.stringMatching(/remaining time/) });
    expect(Date.parse(attempt!.endedAt)).toBeLessThan(deadline);
  });

  it("records a Stub with its returns bound to null", async () => {
    const { send, stores, runId } = await setup();
    await send("stub", "stub");
    const [a] = await stores.runLog.attempts(runId, "stub");
    expect(a).toMatchObject({ type: "stub", status: "SUCCESS", outputParameters: { s: null } });
  });

  it("throws runnable.NoBranch for a Conditional without match or default, recording its failure once", async () => {
    const { send, stores, runId } = await setup();
    await expect(send("conditionalStart", "cond")).rejects.toMatchObject({
      name: "runnable.NoBranch", message: 'Conditional "cond": parameter "key" is "zzz", which matches no branch ("a") and there is no default',
    });
    // the catcher records the failure again with the same key: still one attempt
    await send("nodeEnd", "cond", { status: "FAIL", error: { Error: "runnable.NoBranch", Cause: "x" } });
    const attempts = await stores.runLog.attempts(runId, "cond");
    expect(attempts.map((a) => [a.type, a.status, a.error?.name])).toEqual([["conditional", "FAIL", "runnable.NoBranch"]]);
  });

  it("answers mapStart with the count, and for distributed maps writes the index list", async () => {
    const { send, stores, runId } = await setup();
    const r = await send("mapStart", "fan");
    expect(r).toMatchObject({ status: "SUCCESS", count: 3, itemsKey: expect.any(String) });
    expect(JSON.parse((await stores.catalog.getInternal(runId, "map-items/fan.json"))!)).toEqual([0, 1, 2]);
    for (const i of [0, 1, 2]) await send("stub", "fan.*.each", { indexes: [i] });
    await send("nodeEnd", "fan");
    const [end] = await stores.runLog.attempts(runId, "fan");
    expect(end).toMatchObject({ type: "map", status: "SUCCESS", iterations: 3, inputParameters: { items: [1, 2, 3] } });
  });

  it("fails mapStart on a parameter that is not a list, naming the map", async () => {
    const { send } = await setup({ key: "a", items: "nope" });
    await expect(send("mapStart", "fan")).rejects.toMatchObject({
      name: "runnable.StepFailed", message: 'Map "fan": iterateOn parameter "items" must be a list, got a string',
    });
  });

  it("records a Fail step and throws runnable.FailStep", async () => {
    const { send, stores, runId } = await setup();
    await expect(send("nodeEnd", "stop")).rejects.toMatchObject({ name: "runnable.FailStep" });
    expect((await stores.runLog.attempts(runId, "stop"))[0]).toMatchObject({ type: "fail", status: "FAIL" });
  });

  it("rejects events naming unknown steps, wrong actions or a changed pipeline", async () => {
    const { send, ctx, runId } = await setup();
    await expect(send("task", "nope")).rejects.toMatchObject({ name: "runnable.BadEvent", message: expect.stringMatching(/no step "nope"/) });
    await expect(send("task", "stub")).rejects.toMatchObject({ name: "runnable.BadEvent", message: expect.stringMatching(/"task" does not apply to stub step "stub"/) });
    await expect(send("stub", "fan.*.each")).rejects.toMatchObject({ name: "runnable.BadEvent" });
    const other = buildGraph(new Pipeline({ name: "events", steps: [new Stub({ name: "x" })] }));
    await expect(handleStepEvent({ v: 1, action: "start", runId, path: "", indexes: [], execution: "e2", retryCount: 0 }, { ...ctx, built: other }))
      .rejects.toMatchObject({ name: "runnable.DagMismatch", message: expect.stringMatching(/pipeline changed since run/) });
  });

  it("finalise records the execution's end with the final parameters", async () => {
    calls = 0;
    failUntil = 0;
    const { send, stores, runId } = await setup();
    await send("task", "flaky");
    expect(await send("finalise", "", { status: "FAIL" })).toEqual({ v: 1, status: "FAIL" });
    const log = await stores.runLog.readRunLog(runId);
    expect(log.status).toBe("FAIL");
    expect(log.finalParameters).toEqual({ key: "zzz", items: [1, 2, 3], n: 1 });
  });

  it("does not list a settled step again: a warm handler's later steps read only their own attempts", async () => {
    const blob = new MemoryBlobStore();
    let lists = 0;
    const counting: BlobStore = {
      location: blob.location, put: (...a) => blob.put(...a), get: (...a) => blob.get(...a),
      putFile: (...a) => blob.putFile(...a), getFile: (...a) => blob.getFile(...a), openRead: (...a) => blob.openRead(...a),
      list: (...a) => (lists++, blob.list(...a)),
    };
    const stores = storesOn(counting);
    const steps = Array.from({ length: 20 }, (_, i) => new FunctionTask({ name: `s${i}`, returns: [`v${i}`], function: () => i }));
    const built = buildGraph(new Pipeline({ steps }));
    const { runId } = await createRun(stores, { built, parameters: {}, mode: "local" });
    const ctx: StepContext = { built, stores, workDir: tempDir() };
    for (let i = 0; i < 20; i++) {
      lists = 0;
      await handleStepEvent({ v: 1, action: "task", runId, path: `s${i}`, indexes: [], execution: "e", retryCount: 0 }, ctx);
      expect(lists, `step s${i}`).toBe(1);
    }
    // a fresh process (new store object) resolves the same scope from the store
    const fresh = { built, stores: storesOn(blob), workDir: ctx.workDir };
    await handleStepEvent({ v: 1, action: "finalise", runId, path: "", indexes: [], execution: "e", retryCount: 0 }, fresh);
    expect((await fresh.stores.runLog.readRunLog(runId)).finalParameters).toEqual(Object.fromEntries(steps.map((_, i) => [`v${i}`, i])));
  });
});
