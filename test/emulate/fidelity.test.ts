// "Fails alike": for each Step Functions quota the compiler knows, a pipeline AWS would fail fails in
// the emulator with the error name AWS reports, and a local run (which has no such quota) warns with
// the same text. The full-size history quota is met in history.test.ts with fake handlers; here real
// handler processes meet the inline-Map guard at full size and the quota itself lowered.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compile } from "../../src/compile/index.js";
import { mapTooLargeMessage } from "../../src/compile/guard.js";
import { historyLimitCause } from "../../src/compile/history.js";
import { readEventLog, runInEmulator } from "../../src/emulate/index.js";
import type { ProgressEvent } from "../../src/execute/index.js";
import { runPipeline } from "../../src/execute/index.js";
import { DefinitionError, FunctionTask, MapNode, Pipeline } from "../../src/sdk/index.js";
import { load, tempDir, useEmulator } from "./compare.js";

const emulator = useEmulator(4);
const quotas = () => load(join(import.meta.dirname, "fixtures", "quotas.ts"));
const small = { n: 3, rows: 2, cols: 2 };

/** A local run with its warnings. */
async function local(p: Awaited<ReturnType<typeof quotas>>, parameters: Record<string, number>) {
  const warnings: ProgressEvent[] = [];
  const before = process.cwd();
  process.chdir(tempDir("fidelity-work-"));
  try {
    const r = await runPipeline(p.pipeline, {
      mode: "local", root: tempDir("fidelity-local-"), parameters, source: p.source, fallbackName: p.fallbackName,
      onEvent: (e) => void (e.type === "warning" && warnings.push(e)),
    });
    return { ...r, warnings };
  } finally {
    process.chdir(before);
  }
}

const events = (runId: string) => readEventLog(runId, { s3Endpoint: emulator.s3().endpoint, bucket: emulator.s3().bucket });

describe("fails alike: what AWS would fail, the emulator fails and a local run warns about", () => {
  it("an inline Map over 4,000 items: refused at its start with the guard's text; locally it runs and warns the same", async () => {
    const p = await quotas();
    const bound = compile(p.built).estimate.maps.each!.guardItems!;
    expect(bound).toBeGreaterThan(3_400);
    expect(bound).toBeLessThan(3_600);
    const text = mapTooLargeMessage("each", 4000, bound);
    expect(text).toBe(`Map "each" has 4000 items; inline Maps fit about ${bound} here; set distributed: true`);

    const r = await runInEmulator({ built: p.built, source: p.source, parameters: { ...small, n: 4000 }, session: emulator.session() });
    expect(r.status).toBe("FAIL");
    expect(r.runLog.steps.each).toMatchObject({ status: "FAIL", attempts: [{ error: { name: "runnable.MapTooLarge", message: text } }] });
    // Nothing was paid for: no iteration ran, nor anything after the Map.
    expect(Object.keys(r.runLog.steps).sort()).toEqual(["each", "make"]);
    const [log] = await events(r.runId);
    expect(log!.events.some((e) => e.type === "MapIterationStarted")).toBe(false);
    expect(log!.events.at(-1)).toMatchObject({ type: "ExecutionFailed", error: "runnable.MapTooLarge" });
    expect(log!.history!.events).toBeLessThan(100);

    const l = await local(p, { ...small, n: 4000 });
    expect(l.status).toBe("SUCCESS");
    expect(l.runLog.steps["each.3999.double"]?.status).toBe("SUCCESS");
    expect(l.warnings.map((w) => w.message)).toEqual([expect.stringContaining(text)]);
    expect(l.warnings[0]!.stepPath).toBe("each");
  }, 120_000);

  it("the history quota itself (a Map of Maps each guard lets through): States.Runtime as AWS reports it, the run log says which quota and where", async () => {
    const p = await quotas();
    const quota = 150;
    const r = await runInEmulator({
      built: p.built, source: p.source, parameters: { ...small, rows: 3, cols: 4 }, session: emulator.session(), historyQuota: quota,
    });
    expect(r.status).toBe("FAIL");
    expect(r.runLog.error?.name).toBe("States.Runtime");
    expect(r.runLog.error?.message).toMatch(new RegExp(`^${historyLimitCause(quota).replace(/[.()]/g, "\\$&")} Step Functions' quota of 150 history events per Standard execution was reached at state "grid[.@]`));
    expect(r.runLog.error?.message).toContain('of step "grid');
    // The execution stopped at the quota: not every cell ran, the report never did.
    const cells = Object.keys(r.runLog.steps).filter((k) => k.endsWith(".cell"));
    expect(cells.length).toBeGreaterThan(0);
    expect(cells.length).toBeLessThan(12);
    expect(r.runLog.steps.report).toBeUndefined();

    const [log] = await events(r.runId);
    expect(log).toMatchObject({ status: "FAILED", error: { Error: "States.Runtime", Cause: historyLimitCause(quota) }, history: { events: quota, quota } });
    expect(log!.events.at(-1)).toMatchObject({ type: "ExecutionFailed", error: "States.Runtime", history: quota });

    // At full size a local run warns after the fact, with what the emulator would have failed with.
    const l = await local(p, { ...small, rows: 60, cols: 60 });
    expect(l.status).toBe("SUCCESS");
    expect(l.warnings.map((w) => w.message)).toEqual([expect.stringMatching(/execution history would need about 2\d,\d{3} events, over Step Functions' quota of 25,000: the execution fails there with States\.Runtime \("The execution reached the maximum number of history events \(25000\)\."\)/)]);
  }, 120_000);

  it("a Distributed Map's child executions have histories of their own: the parent's stays small, a child that fills its own fails the Map", async () => {
    const p = await load(join(import.meta.dirname, "fixtures", "children.ts"));
    // Each child would record 64 events (ExecutionStarted/Succeeded, an inline Map of 5 one-step items); the parent 36.
    const full = await runInEmulator({ built: p.built, source: p.source, parameters: { rows: 2, cols: 5 }, session: emulator.session(), historyQuota: 60 });
    expect(full.status).toBe("FAIL");
    expect(full.runLog.steps.fan).toMatchObject({ status: "FAIL", attempts: [{ error: { name: "States.ExceedToleratedFailureThreshold" } }] });
    const [log] = await events(full.runId);
    expect(log!.events).toContainEqual(expect.objectContaining({ type: "ExecutionFailed", parent: "fan", error: "States.Runtime", cause: historyLimitCause(60), history: 60 }));
    // The parent's own history holds none of the children's events.
    expect(log!.error?.Error).toBe("States.ExceedToleratedFailureThreshold");
    expect(log!.history).toEqual({ events: 36, quota: 60 });
  }, 120_000);

  it("a Lambda step longer than 900 s: refused before anything runs, in the emulator and locally alike (AWS limits are definition checks, issue 19)", async () => {
    const slow = new Pipeline({ name: "slow", steps: [new FunctionTask({ name: "train", function: () => 1, returns: ["x"], timeoutSeconds: 1000 })] });
    await expect(runPipeline(slow, { mode: "emulator", root: tempDir("fidelity-emu-"), source: join(import.meta.dirname, "fixtures", "quotas.ts") }))
      .rejects.toBeInstanceOf(DefinitionError);
    const local = runPipeline(slow, { root: tempDir("fidelity-local-") });
    await expect(local).rejects.toBeInstanceOf(DefinitionError);
    await expect(local).rejects.toThrow(`step "train": timeoutSeconds 1000 exceeds Lambda's limit of 900 s`);
  });

  it("an inline Map running more than 40 iterations at once: refused when the pipeline is built, in every mode", () => {
    const build = () => new MapNode({ name: "each", iterateOn: "xs", iterateAs: "x", maxConcurrency: 41, branch: new FunctionTask({ name: "f", function: () => 1 }).asPipeline() });
    expect(build).toThrow(/maxConcurrency must be an integer from 1 to 40, got 41/);
  });
});
