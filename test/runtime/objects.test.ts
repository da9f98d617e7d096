import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { buildGraph } from "../../src/graph/index.js";
import { createRun, handleStepEvent } from "../../src/runtime/index.js";
import type { StepContext } from "../../src/runtime/index.js";
import { fsStores } from "../../src/store/index.js";
import { tempDir } from "../execute/helpers.js";
import pipeline from "./fixtures/objects-pipeline.js";

describe("object() returns", () => {
  it("keep Map, Set, Date, typed arrays and bigint across a fresh process, with only a reference in the run log", async () => {
    const root = tempDir();
    const stores = fsStores(root);
    const built = buildGraph(pipeline);
    const { runId } = await createRun(stores, { built, parameters: {}, mode: "local" });
    const ctx: StepContext = { built, stores, workDir: tempDir() };
    const event = { v: 1 as const, runId, indexes: [], execution: "local", retryCount: 0 };
    await handleStepEvent({ ...event, action: "start", path: "" }, ctx);
    await handleStepEvent({ ...event, action: "task", path: "make" }, ctx);

    const child = execFileSync(process.execPath, ["--import", "tsx", "test/runtime/fixtures/step-child.ts", root, runId, "check"], { encoding: "utf8" });
    expect(JSON.parse(child)).toEqual({ v: 1, status: "SUCCESS", attempt: 1 });
    await handleStepEvent({ ...event, action: "finalise", path: "" }, ctx);

    const log = await stores.runLog.readRunLog(runId);
    expect(log.status).toBe("SUCCESS");
    const made = log.steps.make!.attempts[0]!.outputParameters.data as { $object: string };
    expect(made).toEqual({ $object: expect.stringMatching(/^\.objects\/make\/data/) });
    const summary = log.steps.check!.attempts[0]!.outputParameters.summary as Record<string, unknown>;
    expect(summary).toMatchObject({
      map: [["a", 1], ["b", 2]], set: [3, 4], when: "2024-05-06T07:08:09.010Z", floats: [0.5, 1.5], big: (2n ** 70n).toString(),
    });
    expect(summary.pid).not.toBe(process.pid);
    // the check step read the reference, so its input shows the reference, not the data
    expect(log.steps.check!.attempts[0]!.inputParameters).toEqual({ data: made });
    expect(log.finalParameters.data).toEqual(made);
  });
});
