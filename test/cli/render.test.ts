// In-process checks of what the CLI renders: progress lines (terminal and plain), the summary,
// Mermaid text, fallback names and exit-code mapping.
import { describe, expect, it } from "vitest";
import { defaultParametersFile, fallbackNameOf } from "../../src/load/index.js";
import { exitCodeOf, formatError, type CliIo } from "../../src/cli/io.js";
import { toMermaid } from "../../src/cli/mermaid.js";
import { progressView, summary } from "../../src/cli/progress.js";
import { buildGraph } from "../../src/graph/index.js";
import { Conditional, DefinitionError, Fail, FunctionTask, MapNode, Parallel, Pipeline, RunNotFoundError, ShellTask, Stub, UsageError } from "../../src/sdk/index.js";
import type { RunResult } from "../../src/sdk/runlog.js";
import { REPO } from "../helpers/cli.js";

function fakeIo(tty: boolean, columns = 120): CliIo & { errText: () => string } {
  let err = "";
  return { out: () => {}, err: (t) => void (err += t), errIsTTY: tty, columns, errText: () => err };
}

/** A progress view driven by a fake clock and timer: `tick(ms)` advances time and renders once. */
function driven(io: CliIo) {
  let t = 0;
  let render: (() => void) | undefined;
  const view = progressView(io, { now: () => t, every: (_ms, tick) => ((render = tick), () => (render = undefined)) });
  return { view, tick: (ms = 100) => { t += ms; render?.(); } };
}

describe("progress", () => {
  it("plain (not a terminal): one line per finished step with status, path, duration, attempt and error", () => {
    const io = fakeIo(false);
    const { view, tick } = driven(io);
    view.onEvent({ type: "step-start", stepPath: "load" });
    view.onEvent({ type: "step-end", stepPath: "load", status: "SUCCESS", durationMs: 12.4 });
    view.onEvent({ type: "step-end", stepPath: "fan.3.score", status: "FAIL", attempt: 2, durationMs: 1500, error: { name: "Error", message: "bad row\nmore" } });
    // Nothing is written per event: output waits for the timer.
    expect(io.errText()).toBe("");
    tick();
    view.onEvent({ type: "step-end", stepPath: "prep", status: "SUCCESS", skipped: true, durationMs: 0 });
    view.close();
    expect(io.errText()).toBe(
      "SUCCESS load  12 ms\n" +
      "FAIL    fan.3.score  1.50 s  (attempt 2)  Error: bad row\n" +
      "SKIPPED prep  (succeeded before)\n");
  });

  it("terminal: a live status region of steps n/N and running steps, finished steps printed above it", () => {
    const io = fakeIo(true);
    const { view, tick } = driven(io);
    const graph = buildGraph(new Pipeline({ name: "p", steps: [
      new Parallel({ name: "train", branches: { rf: new FunctionTask({ name: "fit", function: () => 1 }).asPipeline(), xgb: new FunctionTask({ name: "fit", function: () => 2 }).asPipeline() } }),
      new Stub({ name: "report" }),
    ] })).graph;
    view.onEvent({ type: "run-start", stepPath: "r", graph });
    view.onEvent({ type: "step-start", stepPath: "train.rf.fit" });
    view.onEvent({ type: "step-start", stepPath: "train.xgb.fit" });
    tick(1500);
    expect(io.errText()).toBe("… steps 0/4 · 1 s elapsed · running train.rf.fit, train.xgb.fit");
    view.onEvent({ type: "step-end", stepPath: "train.rf.fit", status: "SUCCESS", durationMs: 40 });
    tick();
    expect(io.errText()).toMatch(/\r\x1b\[2K\x1b\[J.*✓.* train\.rf\.fit  40 ms\n… steps 1\/4 · 1 s elapsed · running train\.xgb\.fit$/);
    view.onEvent({ type: "step-end", stepPath: "train.xgb.fit", status: "FAIL", durationMs: 41 });
    view.close();
    expect(io.errText()).toMatch(/\r\x1b\[2K\x1b\[J.*✗.* train\.xgb\.fit  41 ms\n$/);
  });

  it("terminal: a Map shows items k/K with an ETA; its iterations print nothing unless they fail", () => {
    const io = fakeIo(true);
    const { view, tick } = driven(io);
    const graph = buildGraph(new Pipeline({ name: "p", steps: [
      new MapNode({ name: "fan", iterateOn: "xs", iterateAs: "x", branch: new FunctionTask({ name: "score", function: () => 1 }).asPipeline() }),
    ] })).graph;
    view.onEvent({ type: "run-start", stepPath: "r", graph });
    view.onEvent({ type: "step-start", stepPath: "fan", kind: "map" });
    view.onEvent({ type: "map-items", stepPath: "fan", items: 1000 });
    for (let i = 0; i < 250; i++) {
      view.onEvent({ type: "step-start", stepPath: `fan.${i}.score` });
      view.onEvent({ type: "step-end", stepPath: `fan.${i}.score`, status: i === 7 ? "FAIL" : "SUCCESS", durationMs: 1, ...(i === 7 ? { error: { name: "Error", message: "bad" } } : {}) });
    }
    tick(2000);
    // 250 of 1000 in 2 s: 6 s to go.
    expect(io.errText()).toMatch(/✗.* fan\.7\.score  1 ms  Error: bad\n… steps 0\/1 · 2 s elapsed\n  fan: 250\/1000 items, 1 ✗, ETA 6 s$/);
    expect(io.errText()).not.toContain("fan.8.score");
  });

  it("warnings (what would fail once deployed) print as their own line", () => {
    const io = fakeIo(false);
    const { view, tick } = driven(io);
    view.onEvent({ type: "warning", stepPath: "each", kind: "map", message: "Map \"each\" has 50000 items" });
    tick();
    view.close();
    expect(io.errText()).toBe('warning: Map "each" has 50000 items\n');
  });

  it("terminal: the live region is cut to the terminal's width so it can be redrawn in place", () => {
    const io = fakeIo(true, 30);
    const { view, tick } = driven(io);
    view.onEvent({ type: "step-start", stepPath: "a_rather_long_step_name.another_long_name" });
    tick();
    const live = io.errText();
    expect(live).toHaveLength(29);
    expect(live.endsWith("…")).toBe(true);
  });
});

describe("summary", () => {
  const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
  const attempt = (status: "SUCCESS" | "FAIL", message?: string) => ({
    attempt: 1, status, startedAt: at(0), endedAt: at(1), inputParameters: {}, outputParameters: {}, metrics: {},
    error: message ? { name: "Error", message } : null,
  });
  const result: RunResult = {
    runId: "r-1", status: "FAIL", parameters: {}, finalParameters: {},
    runLog: {
      runId: "r-1", pipeline: "demo", status: "FAIL", tag: "", startedAt: at(0), endedAt: at(3), dagHash: "h",
      parameters: {}, finalParameters: {}, codeIdentity: { type: "none" },
      steps: {
        a: { type: "task", status: "SUCCESS", attempts: [attempt("SUCCESS")], catalog: [] },
        b: { type: "task", status: "FAIL", attempts: [attempt("FAIL", "no input\nstack")], catalog: [] },
      },
    },
  };

  it("shows status, run id, counts, duration, the failed step and the retry hint with a non-default root", () => {
    const text = summary(result, "store", "store/catalog/r-1");
    expect(text).toContain("FAIL  run r-1  (pipeline demo, 3.00 s)");
    expect(text).toContain("steps: 1 succeeded, 1 failed");
    expect(text).toContain("  failed: b — Error: no input\n");
    expect(text).toContain("run log: runnable logs r-1 --root store");
    expect(text).toContain("files:   store/catalog/r-1");
    expect(text).toContain("runnable retry r-1 --root store");
    expect(text.split("\n").length).toBeLessThan(20);
  });

  it("has no retry hint on success", () => {
    const ok: RunResult = { ...result, status: "SUCCESS", runLog: { ...result.runLog, status: "SUCCESS", steps: { a: result.runLog.steps.a! } } };
    const text = summary(ok, ".runnable");
    expect(text).toContain("SUCCESS  run r-1");
    expect(text).toContain("run log: runnable logs r-1\n");
    expect(text).not.toContain("retry");
  });
});

describe("Mermaid", () => {
  const t = (name: string, returns: string[] = []) => new FunctionTask({ name, function: () => 1, returns });

  it("renders every node kind, nested pipelines as subgraphs, in step order", () => {
    const p = new Pipeline({
      name: "demo",
      steps: [
        t("a", ["xs"]),
        new Parallel({ name: "par", branches: { left: t("l", ["lv"]).asPipeline(), right: new Pipeline({ steps: [new ShellTask({ name: "r1", command: "true" }), new Stub({ name: "r2" })] }) } }),
        new MapNode({ name: "fan", iterateOn: "xs", iterateAs: "x", branch: t("sq", ["y"]).asPipeline(), reducer: (v) => v.length }),
        new Conditional({ name: "cond", parameter: "y", branches: { "1": t("one").asPipeline() }, default: t("other").asPipeline() }),
        new FunctionTask({ name: "risky", function: () => 1, onFailure: new Pipeline({ steps: [t("recover"), new Fail({ name: "stop" })] }) }),
      ],
    });
    const text = toMermaid(buildGraph(p).graph);
    expect(text.split("\n").slice(0, 3)).toEqual(["flowchart TD", '  start_(["demo"])', '  n_a["a<br/>→ xs"]']);
    for (const line of [
      '  subgraph n_par_right["right"]', '    n_par_right_r1["r1 (shell)"]', '    n_par_right_r2["r2 (stub)"]',
      "    n_par_right_r1 --> n_par_right_r2", "  n_par -->|left| n_par_left_l", "  n_par_right_r2 --> n_par_join",
      '  n_fan[/"fan: each x in xs"/]', '  n_fan_join[\\"reduce"/]', "  n_par_join --> n_fan",
      '  n_cond{"cond: y?"}', "  n_cond -->|default| n_cond_default_other", "  n_fan_join --> n_cond",
      '    n_risky_onFailure_stop(["stop (fail)"])', "  n_risky -. on failure .-> n_risky_onFailure_recover",
      "  start_ --> n_a", "  n_risky --> end_",
    ]) expect(text.split("\n")).toContain(line);
  });

  it("keeps ids unique when a name collides with a generated id", () => {
    const p = new Pipeline({ steps: [new Parallel({ name: "p", branches: { a: t("x").asPipeline() } }), t("p_a"), t("p_join")] });
    const ids = toMermaid(buildGraph(p).graph).split("\n").map((l) => /^\s*(?:subgraph )?(n_[A-Za-z0-9_]+)[[({]/.exec(l)?.[1]).filter(Boolean);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe("loading helpers", () => {
  it("names a pipeline after its folder for pipeline.ts, else after the file", () => {
    expect(fallbackNameOf("examples/ml-pipeline/pipeline.ts")).toBe("ml-pipeline");
    expect(fallbackNameOf("flows/nightly.ts")).toBe("nightly");
    expect(fallbackNameOf("/x/2024 report/pipeline.mts")).toBe("report");
  });

  it("finds parameters.yaml beside the pipeline file", () => {
    expect(defaultParametersFile(`${REPO}examples/ml-pipeline/pipeline.ts`)).toBe(`${REPO}examples/ml-pipeline/parameters.yaml`);
    expect(defaultParametersFile(`${REPO}examples/on-failure/pipeline.ts`)).toBeUndefined();
  });

  it("maps definition and usage errors to exit 2, anything else to 1; stacks only when verbose", () => {
    expect(exitCodeOf(DefinitionError.one("s", "x", "bad"))).toBe(2);
    expect(exitCodeOf(new UsageError("bad flag"))).toBe(2);
    expect(exitCodeOf(new RunNotFoundError("r", "here"))).toBe(2);
    expect(exitCodeOf(new Error("disk full"))).toBe(1);
    expect(formatError(new Error("disk full"), false)).toBe("error: disk full\n");
    expect(formatError(new Error("disk full"), true)).toMatch(/^error: disk full\n\s+at /);
  });
});
