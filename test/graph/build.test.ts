import { describe, expect, it } from "vitest";
import { buildGraph, checkParameterFlow, locate, toStepPath } from "../../src/graph/index.js";
import {
  Catalog, Conditional, DefinitionError, Fail, FunctionTask, MapNode, Parallel, Pipeline, Stub,
} from "../../src/sdk/index.js";

const noop = () => undefined;
const task = (name: string, returns: string[] = [], extra: Partial<ConstructorParameters<typeof FunctionTask>[0]> = {}) =>
  new FunctionTask({ name, function: noop, returns, ...extra });

function problemsOf(p: Pipeline): { path: string; code: string; message: string }[] {
  try {
    buildGraph(p);
  } catch (e) {
    expect(e).toBeInstanceOf(DefinitionError);
    return (e as DefinitionError).problems;
  }
  throw new Error("expected the pipeline to be rejected");
}

const sample = () => new Pipeline({
  name: "sample",
  steps: [
    task("prep", ["xs", "mode"]),
    new Parallel({ name: "train", branches: { rf: task("fit", ["rf"]).asPipeline(), gb: task("fit", ["gb"]).asPipeline() } }),
    new MapNode({ name: "fan", iterateOn: "xs", iterateAs: "x", branch: task("score", ["s"]).asPipeline() }),
    new Conditional({ name: "decide", parameter: "mode", branches: { high: task("notify").asPipeline() }, default: task("log").asPipeline() }),
  ],
});

describe("buildGraph", () => {
  it("gives every node its definition path", () => {
    const { graph, nodes } = buildGraph(sample());
    expect(graph.name).toBe("sample");
    expect([...nodes.keys()]).toEqual([
      "prep", "train", "train.gb.fit", "train.rf.fit", "fan", "fan.*.score", "decide", "decide.high.notify", "decide.default.log",
    ]);
  });

  it("is JSON-serialisable and immutable", () => {
    const { graph } = buildGraph(sample());
    expect(JSON.parse(JSON.stringify(graph))).toEqual(graph);
    expect(Object.isFrozen(graph)).toBe(true);
    expect(Object.isFrozen(graph.steps[0])).toBe(true);
  });

  it("has a stable dagHash that changes with the definition", () => {
    const a = buildGraph(sample()).graph.dagHash;
    expect(buildGraph(sample()).graph.dagHash).toBe(a);
    const changed = new Pipeline({ name: "sample", steps: [task("prep", ["xs", "mode", "extra"])] });
    expect(buildGraph(changed).graph.dagHash).not.toBe(a);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
  });

  it("uses the fallback name when the pipeline has none", () => {
    expect(buildGraph(new Pipeline({ steps: [task("a")] }), { fallbackName: "ml-pipeline" }).graph.name).toBe("ml-pipeline");
  });
});

describe("graph validation reports every problem with its path", () => {
  it("collects several problems at once", () => {
    const problems = problemsOf(new Pipeline({
      steps: [
        task("a"), task("a"),
        new Parallel({ name: "p", branches: { x: task("t", ["r"]).asPipeline(), y: task("u", ["r"]).asPipeline() } }),
        task("c", [], { catalog: new Catalog({ get: ["/etc/passwd"], put: ["../out.csv"] }) }),
      ],
    }));
    expect(problems.map((p) => [p.path, p.code])).toEqual([
      ["a", "duplicate-name"],
      ["p", "parallel-return-clash"],
      ["c", "invalid-catalog-path"],
      ["c", "invalid-catalog-path"],
    ]);
    expect(problems[1]!.message).toMatch(/return "r" is produced by both branch "x" and branch "y"/);
  });

  it("rejects empty pipelines and branches", () => {
    const problems = problemsOf(new Pipeline({
      steps: [
        new Parallel({ name: "p", branches: {} }),
        new Conditional({ name: "c", parameter: "k", branches: {} }),
        new MapNode({ name: "m", iterateOn: "xs", iterateAs: "x", branch: new Pipeline({ steps: [] }) }),
      ],
    }));
    expect(problems.map((p) => [p.path, p.code])).toEqual([
      ["p", "empty-branches"], ["c", "empty-branches"], ["m.*", "empty-pipeline"],
    ]);
  });

  it("reports nested problems with their full path", () => {
    const inner = new Pipeline({ steps: [task("dup"), task("dup")] });
    const problems = problemsOf(new Pipeline({ steps: [new Parallel({ name: "p", branches: { b: inner } })] }));
    expect(problems).toEqual([{ path: "p.b.dup", code: "duplicate-name", message: 'step name "dup" is used twice in the same pipeline' }]);
  });

  it("rejects steps after a terminal", () => {
    const problems = problemsOf(new Pipeline({ steps: [new Fail({ name: "stop" }), task("after")] }));
    expect(problems).toMatchObject([{ path: "after", code: "unreachable" }]);
  });

  it("rejects a pipeline that contains itself", () => {
    // Pipelines are frozen after construction, so the cycle is closed by redefining `steps`.
    const outer: Pipeline = new Pipeline({ steps: [task("x")] });
    const cyclic = new Pipeline({ steps: [new Parallel({ name: "p", branches: { again: outer } })] });
    Object.defineProperty(outer, "steps", { value: [new Parallel({ name: "q", branches: { back: cyclic } })] });
    expect(problemsOf(cyclic).some((p) => p.code === "cycle")).toBe(true);
  });
});

describe("references are checked once parameters are known", () => {
  it("accepts names given or returned earlier", () => {
    const { graph } = buildGraph(sample());
    expect(checkParameterFlow(graph, { parameters: [] })).toEqual([]);
  });

  it("names the Map or Conditional that references nothing", () => {
    const { graph } = buildGraph(new Pipeline({
      steps: [
        new MapNode({ name: "fan", iterateOn: "items", iterateAs: "item", branch: new Stub({ name: "s" }).asPipeline() }),
        new Conditional({ name: "pick", parameter: "choice", branches: { a: new Stub({ name: "s" }).asPipeline() } }),
      ],
    }));
    expect(checkParameterFlow(graph, { parameters: ["other"] }).map((p) => [p.path, p.code])).toEqual([
      ["fan", "unknown-parameter"], ["pick", "unknown-parameter"],
    ]);
    expect(checkParameterFlow(graph, { parameters: ["items", "choice"] })).toEqual([]);
  });
});

describe("paths", () => {
  it("turns definition paths into step paths and back", () => {
    const { graph } = buildGraph(sample());
    expect(toStepPath("fan.*.score", [3])).toBe("fan.3.score");
    expect(locate(graph, "fan.3.score")).toMatchObject({ definitionPath: "fan.*.score", indexes: [3] });
    expect(locate(graph, "decide.default.log")?.definitionPath).toBe("decide.default.log");
    expect(locate(graph, "train.rf.fit")?.node.kind).toBe("function");
    expect(locate(graph, "fan.x.score")).toBeUndefined();
    expect(locate(graph, "nope")).toBeUndefined();
    expect(() => toStepPath("fan.*.score", [])).toThrow(/needs more map indexes/);
  });
});
