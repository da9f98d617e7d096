// Per-step Lambda sizing: steps are grouped by (memory, timeout, architecture, /tmp) into as few
// functions as needed; the default-size function also runs every bookkeeping action.
import { describe, expect, it } from "vitest";
import { compile, stepFunctions } from "../../src/compile/index.js";
import { buildGraph } from "../../src/graph/index.js";
import { FunctionTask, Map, Pipeline, ShellTask } from "../../src/index.js";

const fn = (name: string, extra: Record<string, unknown> = {}) => new FunctionTask({ name, function: () => 1, ...extra });

describe("step Lambdas", () => {
  const pipeline = new Pipeline({ name: "sizes", steps: [
    fn("a"),
    fn("b", { resources: { memoryMiB: 2048 } }),
    new Map({ name: "m", iterateOn: "xs", iterateAs: "x", branch: fn("c", { resources: { memoryMiB: 2048 } }).asPipeline() }),
    fn("d", { timeoutSeconds: 60 }),
    fn("e", { resources: { architecture: "x86_64", ephemeralStorageMiB: 4096 } }),
    new ShellTask({ name: "f", command: "true", compute: "batch", resources: { memoryMiB: 8192 } }),
  ] });

  it("groups steps of equal size into one function each, and keeps batch steps out", () => {
    expect(stepFunctions(buildGraph(pipeline).graph)).toEqual({
      StepFunctionArn: { memoryMiB: 1024, timeoutSeconds: 900, architecture: "arm64", ephemeralStorageMiB: 512, steps: ["a"] },
      StepFunctionArn_m1024t900x86s4096: { memoryMiB: 1024, timeoutSeconds: 900, architecture: "x86_64", ephemeralStorageMiB: 4096, steps: ["e"] },
      StepFunctionArn_m1024t90: { memoryMiB: 1024, timeoutSeconds: 90, architecture: "arm64", ephemeralStorageMiB: 512, steps: ["d"] },
      StepFunctionArn_m2048t900: { memoryMiB: 2048, timeoutSeconds: 900, architecture: "arm64", ephemeralStorageMiB: 512, steps: ["b", "m.*.c"] },
    });
  });

  it("sends each step's Task to its own function and every bookkeeping action to the default one", () => {
    const r = compile(pipeline);
    const fnOf = (state: string) => ((r.definition.States[state] as unknown as { Parameters: { FunctionName: string } }).Parameters.FunctionName);
    expect(fnOf("b")).toBe("${StepFunctionArn_m2048t900}");
    expect(fnOf("d")).toBe("${StepFunctionArn_m1024t90}");
    expect(fnOf("a")).toBe("${StepFunctionArn}");
    expect(fnOf("@run-start")).toBe("${StepFunctionArn}");
    expect(fnOf("m@start")).toBe("${StepFunctionArn}");
    expect(Object.keys(r.functions)).toEqual(r.placeholders.filter((p) => p.startsWith("StepFunctionArn")));
  });

  it("follows the construct's defaults: a step asking for the default size shares the default function", () => {
    const groups = stepFunctions(buildGraph(pipeline).graph, { memoryMiB: 2048 });
    expect(groups.StepFunctionArn?.steps).toEqual(["a", "b", "m.*.c"]);
    expect(groups.StepFunctionArn?.memoryMiB).toBe(2048);
  });

  it("gives a step with its own timeout 30 s of grace, capped at Lambda's 900 s", () => {
    const groups = stepFunctions(buildGraph(new Pipeline({ steps: [fn("quick", { timeoutSeconds: 2 }), fn("slow", { timeoutSeconds: 890 })] })).graph);
    expect(Object.values(groups).map((g) => [g.timeoutSeconds, g.steps])).toEqual([[900, ["slow"]], [32, ["quick"]]]);
  });

  it("gives a batch step's job the same grace beyond its timeoutSeconds, so the handler records the timed-out attempt before Batch kills the job", () => {
    const r = compile(new Pipeline({ name: "jobs", steps: [fn("train", { compute: "batch", timeoutSeconds: 3600 }), fn("untimed", { compute: "batch" })] }));
    const timeoutOf = (state: string) => (r.definition.States[state] as unknown as { Parameters: { Timeout?: unknown } }).Parameters.Timeout;
    expect(timeoutOf("train")).toEqual({ AttemptDurationSeconds: 3630 });
    expect(timeoutOf("untimed")).toBeUndefined();
  });
});
