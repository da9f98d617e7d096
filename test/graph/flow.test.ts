import { describe, expect, it } from "vitest";
import { buildGraph, parameterFlow } from "../../src/graph/index.js";
import { Conditional, Fail, FunctionTask, MapNode, Parallel, Pipeline, ShellTask, Stub } from "../../src/sdk/index.js";

/* eslint-disable @typescript-eslint/no-explicit-any */
const reader = (name: string, reads: string[], returns: string[] = [], extra: Record<string, unknown> = {}) =>
  new FunctionTask({ name, function: () => ({}), reads, returns, ...extra });
const flow = (steps: Pipeline["steps"][number][], parameters: string[] = [], secrets: string[] = []) =>
  parameterFlow(buildGraph(new Pipeline({ steps: [...steps] })).graph, { parameters, secrets });
const messages = (steps: Pipeline["steps"][number][], parameters: string[] = [], secrets: string[] = []) =>
  flow(steps, parameters, secrets).problems.map((p) => `${p.path}: ${p.message}`);

describe("parameter flow", () => {
  it("accepts reads provided by parameters, earlier returns, shell and stub returns", () => {
    expect(messages([
      reader("a", ["seed"], ["values"]),
      new ShellTask({ name: "sh", command: "true", returns: ["lines"] }),
      new Stub({ name: "st", returns: ["later"] }),
      reader("b", ["values", "lines", "later", "seed"]),
    ], ["seed"])).toEqual([]);
  });

  it("names the step and the parameter, with a suggestion for a typo", () => {
    const stats = new FunctionTask({ name: "stats", function: ({ valuse }: any) => valuse.reduce((a: number, b: number) => a + b) });
    expect(messages([reader("load", [], ["values"]), stats])).toEqual([
      'stats: reads "valuse", which nothing provides before it (did you mean "values"?)',
    ]);
  });

  it("says when only a later step returns the name", () => {
    expect(messages([reader("report", ["grade"]), reader("grader", [], ["grade"])])).toEqual([
      'report: reads "grade", which nothing provides before it (only "grader" returns it, which does not run before this step)',
    ]);
  });

  it("treats default-valued reads as optional", () => {
    const fn = new FunctionTask({ name: "fit", function: ({ max_depth = 10 }: any) => max_depth });
    expect(messages([fn])).toEqual([]);
  });

  it("flags a name provided on only some Conditional branches, on the others", () => {
    const cond = new Conditional({
      name: "decide", parameter: "mode",
      branches: { high: reader("h", [], ["label"]).asPipeline(), low: reader("l", []).asPipeline() },
    });
    expect(messages([cond, reader("report", ["label"])], ["mode"])).toEqual([
      'report: reads "label", which is not provided when "decide" takes branch "low"',
    ]);
    const withDefault = new Conditional({
      name: "decide", parameter: "mode",
      branches: { high: reader("h", [], ["label"]).asPipeline() }, default: reader("d", [], ["label"]).asPipeline(),
    });
    expect(messages([withDefault, reader("report", ["label"])], ["mode"])).toEqual([]);
  });

  it("gives a Map's branch iterateAs, and binds every branch return after it", () => {
    const map = new MapNode({ name: "fan", iterateOn: "xs", iterateAs: "x", branch: reader("sq", ["x"], ["y"]).asPipeline() });
    expect(messages([map, reader("sum", ["y"])], ["xs"])).toEqual([]);
    expect(messages([map, reader("sum", ["x"])], ["xs"])).toEqual([
      'sum: reads "x", which nothing provides before it (did you mean "xs"?)',
    ]);
  });

  it("refuses an iterateAs that hides a parameter in scope", () => {
    const map = new MapNode({ name: "fan", iterateOn: "xs", iterateAs: "seed", branch: reader("sq", ["seed"]).asPipeline() });
    expect(messages([map], ["xs", "seed"])).toEqual([
      'fan: iterateAs "seed" hides the parameter "seed" already in scope (provided by parameter) inside the Map branch: pick another name',
    ]);
  });

  it("merges Parallel branches", () => {
    const par = new Parallel({ name: "train", branches: { rf: reader("rf", [], ["rf_model"]).asPipeline(), gb: reader("gb", [], ["gb_model"]).asPipeline() } });
    expect(messages([par, reader("pick", ["rf_model", "gb_model"])])).toEqual([]);
  });

  it("checks every Parallel branch, also beside one that can only fail", () => {
    const par = new Parallel({ name: "par", branches: {
      a: new Fail({ name: "stop" }).asPipeline(),
      b: reader("try", [], [], { onFailure: reader("recover", ["p"]).asPipeline() }).asPipeline(),
    } });
    expect(messages([par])).toEqual([
      'par.b.try.onFailure.recover: reads "p", which nothing provides before it (no parameter of that name is given, and no earlier step returns it)',
    ]);
  });

  it("gives an onFailure pipeline the scope before the failed step", () => {
    const train = reader("train", [], ["model"], { onFailure: reader("alert", ["model"]).asPipeline() });
    expect(messages([train])).toEqual([
      'train.onFailure.alert: reads "model", which nothing provides before it (only "train" returns it, which does not run before this step)',
    ]);
  });

  it("inside a branch, a recovered step leaves its returns unprovided on that path", () => {
    const risky = reader("fit", [], ["model"], { onFailure: reader("fallback", []).asPipeline() });
    const par = new Parallel({ name: "train", branches: { a: risky.asPipeline() } });
    expect(messages([par, reader("use", ["model"])])).toEqual([
      'use: reads "model", which is not provided when "train.a.fit" fails and its onFailure pipeline runs instead',
    ]);
  });

  it("counts secrets as providers of function reads only", () => {
    expect(messages([reader("call", ["token"])], [], ["token"])).toEqual([]);
    const map = new MapNode({ name: "fan", iterateOn: "token", iterateAs: "t", branch: new Stub({ name: "s" }).asPipeline() });
    expect(messages([map], [], ["token"])).toEqual([
      'fan: iterateOn "token" is not a parameter in scope: nothing provides it before this step (no parameter of that name is given, and no earlier step returns it)',
    ]);
  });

  it("skips functions whose reads are unknown and lists them", () => {
    const opaque = new FunctionTask({ name: "opaque", function: (p: any) => JSON.stringify(p) });
    const report = flow([opaque]);
    expect(report.problems).toEqual([]);
    expect(report.unknown).toEqual(["opaque"]);
  });

  it("reports every read with its provider", () => {
    const report = flow([reader("load", ["path"], ["rows"]), new FunctionTask({ name: "fit", function: ({ rows, depth = 3 }: any) => rows + depth })], ["path"]);
    expect(report.rows).toEqual([
      { step: "load", name: "path", via: "function", optional: false, providedBy: "parameter" },
      { step: "fit", name: "rows", via: "function", optional: false, providedBy: 'step "load"' },
      { step: "fit", name: "depth", via: "function", optional: true, providedBy: null },
    ]);
  });
});
