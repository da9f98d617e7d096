import { describe, expect, it } from "vitest";
import { compile } from "../../src/compile/index.js";
import { inlineMapBounds } from "../../src/compile/guard.js";
import { buildGraph } from "../../src/graph/index.js";
import { Conditional, FunctionTask, MapNode, Parallel, Pipeline, type Node } from "../../src/sdk/index.js";
import { FIXTURE_PIPELINES } from "./pipelines.js";

const fn = (name: string, extra: Partial<ConstructorParameters<typeof FunctionTask>[0]> = {}) => new FunctionTask({ name, function: () => ({}), ...extra });
const map = (name: string, branch: Node[], extra: Partial<ConstructorParameters<typeof MapNode>[0]> = {}) =>
  new MapNode({ name, iterateOn: "xs", iterateAs: "x", branch: new Pipeline({ steps: branch }), ...extra });
const bounds = (...steps: Node[]) => inlineMapBounds(buildGraph(new Pipeline({ name: "p", steps })).graph);
/** Ten lambda steps in a row: 50 history events. */
const ten = (prefix: string) => Array.from({ length: 10 }, (_, i) => fn(`${prefix}${i}`));

describe("the inline-Map guard's bound", () => {
  it("is never below the estimate's limit, which assumes at least as much around the Map", () => {
    for (const make of Object.values(FIXTURE_PIPELINES)) {
      for (const m of Object.values(compile(make()).estimate.maps)) {
        if (m.maxInlineMapItems !== undefined) expect(m.guardItems).toBeGreaterThanOrEqual(m.maxInlineMapItems);
      }
    }
  });

  it("counts the steps around the Map: 50 events before or after it cost about 7 items", () => {
    const alone = bounds(map("m", [fn("f")])).m!;
    expect(bounds(...ten("a"), map("m", [fn("f")])).m).toBe(alone - 7);
    expect(bounds(map("m", [fn("f")]), ...ten("z")).m).toBe(alone - 7);
  });

  it("does not count steps after the Map that a failure could skip (an onFailure would take over)", () => {
    const alone = bounds(map("m", [fn("f")])).m!;
    const recoverable = new Pipeline({ steps: ten("z") });
    const guarded = new Parallel({ name: "par", branches: { a: new Pipeline({ steps: [map("m", [fn("f")]), ...ten("z")] }) }, onFailure: fn("alert").asPipeline() });
    // Inside the Parallel, the ten steps after the Map could fail into par's onFailure: they are not counted.
    expect(bounds(guarded)["par.a.m"]).toBeGreaterThan(bounds(new Parallel({ name: "par", branches: { a: recoverable } }), map("m", [fn("f")]), ...ten("z")).m! );
    // A step after the Map whose own onFailure is cheaper counts at the cheaper path: one step, not the Parallel of ten.
    expect(bounds(map("m", [fn("f")]), new Parallel({ name: "big", branches: { a: new Pipeline({ steps: ten("z") }) }, onFailure: fn("cheap").asPipeline() })).m)
      .toBe(bounds(map("m", [fn("f")]), fn("one")).m);
    expect(bounds(map("m", [fn("f")]), fn("one")).m).toBeGreaterThan(alone - 7);
  });

  it("takes a Conditional's cheapest branch around the Map, and the Map's own branch when it is in one", () => {
    const cond = (inBranch: Node[]) => new Conditional({ name: "c", parameter: "k", branches: { big: new Pipeline({ steps: [...inBranch, ...ten("b")] }), small: fn("s").asPipeline() } });
    const alone = bounds(map("m", [fn("f")])).m!;
    expect(bounds(cond([]), map("m", [fn("f")])).m).toBe(bounds(cond([fn("x")]), map("m", [fn("f")])).m);
    expect(bounds(cond([map("m", [fn("f")])]))["c.big.m"]).toBeLessThan(alone - 7);
  });

  it("bounds a Map inside a Distributed Map by the child execution's history, not the parent's", () => {
    const inner = bounds(...ten("a"), map("outer", [map("inner", [fn("f")])], { distributed: true }))["outer.*.inner"]!;
    expect(inner).toBeGreaterThan(bounds(map("m", [fn("f")])).m!);
    expect(bounds(map("outer", [map("inner", [fn("f")])]))["outer.*.inner"]).toBeLessThan(inner);
  });

  it("is compiled into Standard definitions only: Express workflows keep no history", () => {
    expect(compile(FIXTURE_PIPELINES.map!()).definition.States["fanout@too-large"]).toBeDefined();
    const express = compile(FIXTURE_PIPELINES.map!(), { workflowType: "EXPRESS" });
    expect(express.definition.States["fanout@too-large"]).toBeUndefined();
    expect(express.estimate.maps.fanout).not.toHaveProperty("guardItems");
  });
});
