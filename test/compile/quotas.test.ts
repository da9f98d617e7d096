import { describe, expect, it } from "vitest";
import { StateNamer } from "../../src/compile/asl/names.js";
import { MAX_DEFINITION_BYTES, compile, validateAsl } from "../../src/compile/index.js";
import { DefinitionError, FunctionTask, MapNode, Parallel, Pipeline } from "../../src/sdk/index.js";
import { callLines, emulate } from "./emulator.js";
import { FIXTURE_PIPELINES } from "./pipelines.js";

const fn = (name: string, extra: Partial<ConstructorParameters<typeof FunctionTask>[0]> = {}) =>
  new FunctionTask({ name, function: () => ({}), ...extra });

function definitionError(run: () => unknown): DefinitionError {
  try {
    run();
  } catch (e) {
    if (e instanceof DefinitionError) return e;
    throw e;
  }
  throw new Error("expected a DefinitionError");
}

describe("state names", () => {
  const long = (c: string) => c + "_".repeat(40) + c.repeat(20);
  const deep = new Pipeline({
    name: "deep",
    steps: [new Parallel({
      name: long("a"),
      branches: { [long("b")]: new Pipeline({ steps: [new MapNode({ name: long("c"), iterateOn: "xs", iterateAs: "x", branch: fn(long("d")).asPipeline() })] }) },
    })],
  });

  it("shortens names over 80 characters with a stable hash and records the step of each", async () => {
    const result = compile(deep);
    const names = Object.keys(result.states);
    expect(names.every((n) => n.length <= 80)).toBe(true);
    const taskPath = `${long("a")}.${long("b")}.${long("c")}.*.${long("d")}`;
    const [taskName] = Object.entries(result.states).find(([, info]) => info.stepPath === taskPath && info.role === "task")!;
    // Head and tail of the path stay readable around the hash.
    expect(taskName).toMatch(/^a_{19}\+[0-9a-f]{10}\+_+d{20}$/);
    expect(taskName).toHaveLength(80);
    expect(Object.keys(compile(deep).states)).toEqual(names);
    expect(validateAsl(result.definition).isValid).toBe(true);
    const run = await emulate(result.definition, (e) => (e.action === "mapStart" ? { count: 2 } : {}));
    expect(run.status).toBe("SUCCEEDED");
    expect(run.calls.filter((c) => c.path === taskPath)).toHaveLength(2);
  });

  it("rejects two states with one name, naming both steps", () => {
    const namer = new StateNamer();
    namer.claim("train", { stepPath: "train", role: "task" });
    const e = definitionError(() => namer.claim("train", { stepPath: "other", role: "node-end" }));
    expect(e.problems).toEqual([{ path: "other", code: "state-name-collision", message: expect.stringContaining('already used by step "train"') }]);
  });

  it("keeps a suffix readable when hashing: helper states of a long step stay distinct", () => {
    const namer = new StateNamer();
    const path = "p".repeat(70) + "." + "q".repeat(30);
    const names = ["", "@start", "@end", "@failed"].map((s) => namer.name(path, s));
    expect(new Set(names).size).toBe(4);
    expect(names.every((n) => n.length === 80)).toBe(true);
    expect(names[2]!.endsWith("@end")).toBe(true);
  });
});

describe("quotas, checked at compile time", () => {
  it("rejects a Lambda step whose timeoutSeconds exceeds 900, naming it", () => {
    const p = new Pipeline({ name: "slow", steps: [fn("ok"), new Parallel({ name: "par", branches: { a: fn("train", { timeoutSeconds: 3600 }).asPipeline() } })] });
    const e = definitionError(() => compile(p));
    expect(e.problems).toEqual([{ path: "par.a.train", code: "lambda-timeout", message: expect.stringContaining('compute: "batch"') }]);
    expect(e.message).toContain('step "par.a.train"');
  });

  it("accepts a long step on Batch and a 900 s Lambda step", () => {
    const p = new Pipeline({ name: "slow", steps: [fn("lambda", { timeoutSeconds: 900 }), fn("train", { timeoutSeconds: 3600, compute: "batch" })] });
    const r = compile(p);
    expect(r.definition.States["lambda"]).toMatchObject({ TimeoutSeconds: 900 });
    expect(r.placeholders).toEqual(["JobDefinitionArn_v1m2048", "JobQueueArn", "StepFunctionArn"]);
    expect(r.jobDefinitions).toEqual({ JobDefinitionArn_v1m2048: { vcpu: 1, memoryMiB: 2048, steps: ["train"] } });
  });

  it("rejects a definition over 1 MB", () => {
    const steps = Array.from({ length: 1600 }, (_, i) => fn(`step_${String(i).padStart(4, "0")}_${"x".repeat(40)}`));
    const e = definitionError(() => compile(new Pipeline({ name: "huge", steps })));
    expect(e.problems[0]).toMatchObject({ code: "definition-too-large" });
    expect(e.message).toMatch(new RegExp(`over Step Functions' limit of ${MAX_DEFINITION_BYTES}`));
    expect(() => compile(new Pipeline({ name: "big", steps: steps.slice(0, 600) }))).not.toThrow();
  });

  it("compiles EXPRESS only when asked and no step waits on a .sync integration", () => {
    expect(compile(FIXTURE_PIPELINES.task!(), { workflowType: "EXPRESS" }).workflowType).toBe("EXPRESS");
    expect(compile(FIXTURE_PIPELINES.batch!()).workflowType).toBe("STANDARD");
    const e = definitionError(() => compile(FIXTURE_PIPELINES.batch!(), { workflowType: "EXPRESS" }));
    expect(e.problems).toEqual([{ path: "train_big", code: "express-sync", message: expect.stringContaining("Express workflows do not support") }]);
  });

  it("refuses an inline Map whose expected size would exceed the 25,000-event history, and names it", () => {
    const base = compile(FIXTURE_PIPELINES.map!());
    const limit = base.estimate.maps["fanout"]!.maxInlineMapItems!;
    expect(limit).toBeGreaterThan(1000);
    expect(limit).toBeLessThan(25_000 / 7);
    expect(compile(FIXTURE_PIPELINES.map!(), { expectedMapItems: { fanout: limit } }).estimate.maps["fanout"]!.assumedItems).toBe(limit);
    const e = definitionError(() => compile(FIXTURE_PIPELINES.map!(), { expectedMapItems: { fanout: limit + 1 } }));
    expect(e.problems).toEqual([{ path: "fanout", code: "map-too-large", message: expect.stringContaining("use distributed: true") }]);
    expect(definitionError(() => compile(FIXTURE_PIPELINES.map!(), { expectedMapItems: { nope: 3 } })).problems[0]!.code).toBe("unknown-map");
    // Distributed Maps run their iterations in child executions: no such limit.
    expect(compile(FIXTURE_PIPELINES.distributed_map!(), { expectedMapItems: { big: 1_000_000 } }).estimate.maps["big"]!.maxInlineMapItems).toBeUndefined();
  });
});

describe("cost estimate", () => {
  it("counts one transition per plain task step plus start and finalise", () => {
    const steps = Array.from({ length: 10 }, (_, i) => fn(`s${i}`));
    const r = compile(new Pipeline({ name: "plain", steps }));
    expect(r.estimate.transitionsPerRun).toBe(12);
    expect(Object.values(r.estimate.perNode)).toEqual(Array(10).fill(1));
  });

  // One item per Map: with many, the interpreter's log of nested Map iterations is incomplete.
  it("matches the transitions an emulated run takes", async () => {
    for (const name of ["parallel", "conditional", "map", "nested_map", "on_failure"] as const) {
      const r = compile(FIXTURE_PIPELINES[name]!());
      const run = await emulate(r.definition, (e) => (e.action === "mapStart" ? { count: 1 } : e.action === "conditionalStart" ? { branch: "high" } : {}));
      expect(run.status, callLines(run.calls).join("\n")).toBe("SUCCEEDED");
      expect(run.events.filter((e) => e.type === "StateEntered")).toHaveLength(r.estimate.transitionsPerRun);
    }
  });
});
