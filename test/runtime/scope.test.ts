import { describe, expect, it } from "vitest";
import { Conditional, FunctionTask, Map as MapStep, Parallel, Pipeline, Stub } from "../../src/index.js";
import { resolveScope } from "../../src/runtime/index.js";
import { runLocal } from "../execute/helpers.js";

// Each function enumerates its parameters, so the attempt's inputParameters hold its whole scope.
const task = (name: string, returns: string[], fn: (p: Record<string, unknown>) => unknown = () => ({})) =>
  new FunctionTask({ name, returns, function: (p: Record<string, unknown>) => (Object.keys(p), fn(p)) });

const pipeline = new Pipeline({ steps: [
  task("a", ["a"], () => 1),
  new Parallel({ name: "par", branches: {
    left: new Pipeline({ steps: [task("l1", ["l1"], ({ a }) => (a as number) + 1), task("l2", ["l2"], () => "L2")] }),
    right: task("r1", ["r1"], () => "R1").asPipeline(),
  } }),
  new MapStep({ name: "m", iterateOn: "list", iterateAs: "item", branch: new Pipeline({ steps: [
    new Conditional({ name: "c", parameter: "item", branches: {
      x: task("one", ["v"], () => "from-x").asPipeline(),
    }, default: new Pipeline({ steps: [new Stub({ name: "d", returns: ["v"] })] }) }),
    task("after", ["w"], ({ item, v }) => `${item}:${v}`),
  ] }) }),
  task("f", ["never"], () => { throw new Error("boom"); }),
].map((s) => s) });

const withRecovery = new Pipeline({ steps: [
  ...pipeline.steps.slice(0, 3),
  new FunctionTask({ name: "f", returns: ["never"], function: (p: Record<string, unknown>) => { Object.keys(p); throw new Error("boom"); },
    onFailure: new Pipeline({ steps: [task("rec", ["recovered"], () => true)] }) }),
] });

describe("scope resolution", () => {
  it("from the run log equals the scope the local executor handed each step, at every nesting level", async () => {
    const run = await runLocal(withRecovery, { parameters: { list: ["x", "y"], p0: "initial" } });
    expect(run.status).toBe("SUCCESS");
    const ctx = { built: run.built, stores: run.stores, workDir: run.workDir };
    const tasks = Object.entries(run.log.steps).filter(([, s]) => s.type === "task");
    expect(tasks.map(([k]) => k).sort()).toEqual(["a", "f", "f.onFailure.rec", "m.0.after", "m.0.c.x.one", "m.1.after", "par.left.l1", "par.left.l2", "par.right.r1"]);
    for (const [path, step] of tasks) {
      expect(await resolveScope(run.runId, path, ctx), path).toEqual(step.attempts[0]!.inputParameters);
    }
  });

  it("sees preceding siblings at every level, the Map item, the chosen branch's returns, and the failed step's input in onFailure", async () => {
    const run = await runLocal(withRecovery, { parameters: { list: ["x", "y"], p0: "initial" } });
    const ctx = { built: run.built, stores: run.stores, workDir: run.workDir };
    const scope = (path: string) => resolveScope(run.runId, path, ctx);
    expect(await scope("par.left.l2")).toEqual({ list: ["x", "y"], p0: "initial", a: 1, l1: 2 });
    expect(await scope("par.right.r1")).toEqual({ list: ["x", "y"], p0: "initial", a: 1 });
    expect(await scope("m.1.after")).toEqual({ list: ["x", "y"], p0: "initial", a: 1, l1: 2, l2: "L2", r1: "R1", item: "y", v: null });
    expect(await scope("m.0.after")).toMatchObject({ item: "x", v: "from-x" });
    // the recovery sees what f saw, and nothing f would have returned
    expect(await scope("f.onFailure.rec")).toEqual(await scope("f"));
    expect(await scope("f")).toEqual({ list: ["x", "y"], p0: "initial", a: 1, l1: 2, l2: "L2", r1: "R1", w: ["x:from-x", "y:null"], v: ["from-x", null] });
    expect(run.log.finalParameters).toMatchObject({ recovered: true, w: ["x:from-x", "y:null"] });
    expect(run.log.finalParameters).not.toHaveProperty("never");
  });

  it("a step after a failed one without onFailure never runs, and the run fails", async () => {
    const run = await runLocal(new Pipeline({ steps: [...pipeline.steps, task("later", [])] }), { parameters: { list: [] } });
    expect(run.status).toBe("FAIL");
    expect(run.log.steps.later).toBeUndefined();
    expect(run.log.steps.f!.attempts[0]!.error).toMatchObject({ name: "Error", message: "boom" });
  });

  it("is the same whether few or many preceding siblings are read (targeted reads vs one listing)", async () => {
    const linear = new Pipeline({ steps: Array.from({ length: 14 }, (_, i) => task(`s${i}`, [`v${i}`], () => i * 10)) });
    const run = await runLocal(linear, { parameters: { p: 1 } });
    const ctx = { built: run.built, stores: run.stores, workDir: run.workDir };
    for (let i = 0; i < 14; i++) {
      const scope = await resolveScope(run.runId, `s${i}`, ctx);
      expect(scope).toEqual(run.log.steps[`s${i}`]!.attempts[0]!.inputParameters);
      expect(Object.keys(scope)).toHaveLength(i + 1);
    }
  });

  it("names the step path it cannot resolve", async () => {
    const run = await runLocal(new Pipeline({ steps: [task("a", ["a"], () => 1)] }));
    await expect(resolveScope(run.runId, "nope", { built: run.built, stores: run.stores, workDir: run.workDir }))
      .rejects.toThrow(/cannot resolve the scope of "nope": no step "nope"/);
  });
});
