import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FunctionTask, Map as MapStep, Parallel, Pipeline, ShellTask, UsageError } from "../../src/index.js";

const root = mkdtempSync(join(tmpdir(), "runnable-mocks-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let trained = 0;
const pipeline = new Pipeline({ name: "mocked", steps: [
  new FunctionTask({ name: "load", function: () => [1, 2, 3], returns: ["xs"] }),
  new Parallel({ name: "train", branches: {
    rf: new FunctionTask({ name: "fit", function: () => { trained++; return 0.7; }, returns: ["rf"] }).asPipeline(),
    gb: new ShellTask({ name: "fit", command: "exit 3", returns: ["gb"] }).asPipeline(),
  } }),
  new MapStep({ name: "fan", iterateOn: "xs", iterateAs: "x", branch: new FunctionTask({ name: "score", function: ({ x }: { x: number }) => x, returns: ["s"] }).asPipeline() }),
  new FunctionTask({ name: "report", function: ({ rf, gb, s }: { rf: number; gb: number; s: number[] }) => `${rf}/${gb}/${s.join(",")}`, returns: ["text"] }),
] });

describe("execute({ mocks })", () => {
  it("runs mocks instead of functions and commands, by step path, and marks their attempts", async () => {
    const result = await pipeline.execute({ root, mocks: {
      "train.rf.fit": () => 0.9,
      "train.gb.fit": 0.8,
      "fan.*.score": ({ x }: { x: number }) => x * 10,
    } });
    expect(result.status).toBe("SUCCESS");
    expect(trained).toBe(0);
    expect(result.finalParameters.text).toBe("0.9/0.8/10,20,30");
    const steps = result.runLog.steps;
    expect(steps["train.rf.fit"]!.attempts[0]!.mocked).toBe(true);
    expect(steps["train.gb.fit"]!.attempts[0]!.mocked).toBe(true);
    expect(steps["fan.1.score"]!.attempts[0]).toMatchObject({ mocked: true, inputParameters: { x: 2 }, outputParameters: { s: 20 } });
    expect(steps.load!.attempts[0]!.mocked).toBeUndefined();
    expect(steps.report!.attempts[0]!.mocked).toBeUndefined();
  });

  it("takes a step name when only one step has it; refuses ambiguous or unknown keys before anything runs", async () => {
    const ok = await pipeline.execute({ root, mocks: { report: () => "mocked", fit: 1 } }).catch((e: unknown) => e);
    expect(ok).toBeInstanceOf(UsageError);
    expect((ok as Error).message).toBe('mock "fit": 2 steps have that name ("train.gb.fit", "train.rf.fit"): key the mock by step path');
    await expect(pipeline.execute({ root, mocks: { reprot: () => "x" } })).rejects.toThrow('mock "reprot": no FunctionTask, ShellTask or NotebookTask has that step path or name (did you mean "report"?)');
    const byName = await pipeline.execute({ root, mocks: { report: () => "mocked", "train.rf.fit": 1, "train.gb.fit": 2 } });
    expect(byName.finalParameters.text).toBe("mocked");
  });

  it("are local only", async () => {
    await expect(pipeline.execute({ root, mode: "emulator", mocks: { report: "x" } })).rejects.toThrow(UsageError);
  });
});
