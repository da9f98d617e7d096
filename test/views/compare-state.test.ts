// Pure view logic shared by the CLI and the web UI: run comparison, per-node run state (Map
// iteration counts), graphs rebuilt from run logs, and the SVG drawing.
import { describe, expect, it } from "vitest";
import { compareText } from "../../src/cli/views/runs.js";
import { buildGraph } from "../../src/graph/index.js";
import { Conditional, FunctionTask, MapNode, Parallel, Pipeline } from "../../src/sdk/index.js";
import { compareRuns } from "../../src/view/compare.js";
import { inferGraph } from "../../src/view/infer.js";
import { layoutPipeline } from "../../src/view/layout.js";
import { iterationText, runState } from "../../src/view/state.js";
import { renderSvg } from "../../src/view/svg.js";
import { mlRun } from "./fixtures.js";

const fn = (name: string, returns: string[] = []) => new FunctionTask({ name, function: () => 1, returns });
const mlGraph = () => buildGraph(new Pipeline({ name: "ml", steps: [
  fn("load", ["rows"]),
  new Parallel({ name: "train", branches: { rf: fn("fit", ["rf"]).asPipeline(), xgb: fn("fit", ["xgb"]).asPipeline() } }),
  new MapNode({ name: "score", iterateOn: "rows", iterateAs: "row", branch: fn("eval").asPipeline() }),
  fn("report", ["accuracy", "path"]),
] })).graph;

describe("compare", () => {
  it("lists differing parameters and metrics, step durations and catalog files whose md5 changed", () => {
    const a = mlRun({ runId: "a" });
    const b = mlRun({ runId: "b", parameters: { max_depth: 8, seed: 42 }, accuracy: 0.9, modelMd5: "cccccccccccccccccccccccccccccccc" });
    const c = compareRuns([a, b]);
    expect(c.parameters).toEqual([
      { name: "max_depth", values: [6, 8], present: [true, true], same: false },
      { name: "seed", values: [42, 42], present: [true, true], same: true },
    ]);
    expect(c.metrics).toEqual([{ name: "accuracy", values: [0.851, 0.9], present: [true, true], same: false }]);
    expect(c.catalog.filter((f) => f.changed).map((f) => f.name)).toEqual(["model.json"]);
    expect(c.steps.map((s) => s.path)).toEqual(["load", "train.rf.fit", "train.xgb.fit", "train", "score.*.eval", "score", "report"]);
    const text = compareText(c);
    expect(text).toContain("parameters: 1 differ, 1 equal (--all shows them)");
    expect(text).toMatch(/≠ max_depth\s+6\s+8/);
    expect(text).not.toMatch(/seed/);
    expect(text).toMatch(/≠ accuracy\s+0\.851\s+0\.9/);
    expect(text).toMatch(/model\.json\s+bbbbbbbb 4\.9 KB\s+cccccccc 4\.9 KB/);
    expect(compareText(c, { all: true })).toMatch(/ {2}seed\s+42\s+42/);
  });
});

describe("run state", () => {
  it("colours each definition node and counts a Map's iterations (812/1000 style)", () => {
    const state = runState(mlGraph(), mlRun());
    expect(state.get("load")!.status).toBe("SUCCESS");
    expect(state.get("train.rf.fit")!.status).toBe("SUCCESS");
    const body = state.get("score.*.eval")!;
    expect(body.status).toBe("FAIL");
    expect(body.iterations).toEqual({ succeeded: 3, failed: 1, running: 0, total: 4 });
    expect(iterationText(state.get("score")!.iterations!)).toBe("3/4 ✓ 1 ✗");
    expect(state.get("report")!.status).toBe("SUCCESS");
  });

  it("while running: unreached steps are PENDING, the Map's total comes from the list it iterates on", () => {
    const log = mlRun({ status: "RUNNING" });
    delete log.steps.score;
    delete log.steps.report;
    delete log.steps["score.3.eval"];
    log.endedAt = null;
    const state = runState(mlGraph(), log);
    // Records are written when steps end: what runs now is the first unfinished step (here the Map).
    expect(state.get("report")!.status).toBe("PENDING");
    expect(state.get("score")!.status).toBe("RUNNING");
    expect(iterationText(state.get("score")!.iterations!)).toBe("2/300 ✓ 1 ✗");
  });

  it("while running, the first unfinished step of the pipeline is the one running", () => {
    const log = mlRun({ status: "RUNNING" });
    log.endedAt = null;
    log.steps = { load: log.steps.load!, "train.rf.fit": log.steps["train.rf.fit"]! };
    const state = runState(mlGraph(), log);
    expect(["load", "train", "train.rf.fit", "train.xgb.fit", "score", "report"].map((p) => state.get(p)!.status))
      .toEqual(["SUCCESS", "RUNNING", "SUCCESS", "RUNNING", "PENDING", "PENDING"]);
  });

  it("after the run, steps never reached are NOT_RUN (an untaken Conditional branch)", () => {
    const graph = buildGraph(new Pipeline({ name: "c", steps: [fn("grade", ["g"]), new Conditional({ name: "route", parameter: "g", branches: { A: fn("pub").asPipeline(), B: fn("rev").asPipeline() } })] })).graph;
    const log = mlRun({ status: "SUCCESS" });
    log.steps = { grade: log.steps.load!, "route.A.pub": log.steps.load!, route: log.steps.load! };
    const state = runState(graph, log);
    expect([state.get("route.A.pub")!.status, state.get("route.B.rev")!.status]).toEqual(["SUCCESS", "NOT_RUN"]);
  });
});

describe("graph from a run log (runs without a stored graph)", () => {
  it("rebuilds the Parallel branches and the Map body from step paths, in run order", () => {
    const g = inferGraph(mlRun());
    expect(g.steps.map((s) => [s.name, s.kind])).toEqual([["load", "function"], ["train", "parallel"], ["score", "map"], ["report", "function"]]);
    const train = g.steps[1]!;
    expect(train.kind === "parallel" && Object.keys(train.branches)).toEqual(["rf", "xgb"]);
    const score = g.steps[2]!;
    expect(score.kind === "map" && score.branch.steps.map((s) => s.path)).toEqual(["score.*.eval"]);
    // The same state as with the real graph.
    expect(runState(g, mlRun()).get("score.*.eval")!.iterations).toMatchObject({ succeeded: 3, failed: 1 });
  });
});

describe("svg", () => {
  it("draws one box per definition node, groups for Parallel/Map, status classes, and escapes every text", () => {
    // Names are validated when a pipeline is built, but a run log read from a store may hold anything.
    const built = buildGraph(new Pipeline({ name: "p", steps: [fn("load"), new Parallel({ name: "train", branches: { rf: fn("fit").asPipeline() } })] })).graph;
    const graph = { ...built, name: 'x<y>&"z"' };
    const svg = renderSvg(layoutPipeline(graph), { status: (p) => (p === "load" ? "SUCCESS" : undefined), detail: (p) => (p === "load" ? "<b>12 ms</b>" : undefined) });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain("x&lt;y&gt;&amp;&quot;z&quot;");
    expect(svg).toContain("&lt;b&gt;12 ms&lt;/b&gt;");
    expect(svg).not.toContain("<b>");
    expect(svg.match(/data-path="[^"]+"/g)).toEqual(['data-path="load"', 'data-path="train"', 'data-path="train.rf.fit"']);
    expect(svg).toMatch(/<g class="box task s-SUCCESS" data-path="load"/);
    expect(svg).toContain('class="group parallel" data-group="train"');
  });

  it("is deterministic: the same pipeline gives the same SVG", () => {
    expect(renderSvg(layoutPipeline(mlGraph()))).toBe(renderSvg(layoutPipeline(mlGraph())));
  });
});
