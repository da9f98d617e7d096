import { describe, expect, it } from "vitest";
import { compile } from "../../src/compile/index.js";
import { ERRORS } from "../../src/runtime/protocol.js";
import { Fail, FunctionTask, MapNode, Parallel, Pipeline } from "../../src/sdk/index.js";
import { aslError, callLines, emulate } from "./emulator.js";
import { FIXTURE_PIPELINES } from "./pipelines.js";

const def = (name: keyof typeof FIXTURE_PIPELINES) => compile(FIXTURE_PIPELINES[name]!()).definition;
const failing = (path: string, error: string = ERRORS.stepFailed) => (e: { action: string; path: string }) => {
  if (e.action === "task" && e.path === path) throw aslError(error);
};

describe("compiled control flow, executed in aws-local-stepfunctions with fake handlers", () => {
  it("runs a Map of zero items: no iteration, the Map still ends in SUCCESS", async () => {
    const run = await emulate(def("map"), (e) => (e.action === "mapStart" ? { count: 0 } : {}));
    expect(run.status).toBe("SUCCEEDED");
    expect(callLines(run.calls)).toEqual([
      "start (run)", "mapStart fanout", "nodeEnd fanout SUCCESS", "task report", "finalise (run) SUCCESS",
    ]);
  });

  it("runs every index of a Map once, across chunks of 100, with the index in the event", async () => {
    const run = await emulate(def("map"), (e) => (e.action === "mapStart" ? { count: 250 } : {}));
    expect(run.status).toBe("SUCCEEDED");
    const scored = run.calls.filter((c) => c.path === "fanout.*.score").map((c) => c.indexes[0]!);
    expect(scored.sort((a, b) => a - b)).toEqual(Array.from({ length: 250 }, (_, i) => i));
    expect(callLines(run.calls).slice(-3)).toEqual(["nodeEnd fanout SUCCESS", "task report", "finalise (run) SUCCESS"]);
  });

  it("passes both indexes to steps of a nested Map", async () => {
    const run = await emulate(def("nested_map"), (e) => (e.action === "mapStart" ? { count: e.path === "outer" ? 3 : 2 } : {}));
    expect(run.status).toBe("SUCCEEDED");
    const cells = run.calls.filter((c) => c.action === "task").map((c) => c.indexes.join(",")).sort();
    expect(cells).toEqual(["0,0", "0,1", "1,0", "1,1", "2,0", "2,1"]);
    expect(run.calls.filter((c) => c.action === "nodeEnd" && c.path === "outer.*.inner").map((c) => c.indexes[0]).sort()).toEqual([0, 1, 2]);
  });

  it("takes the branch the handler resolves, and the default branch", async () => {
    for (const [branch, step] of [["high", "decide.high.notify"], ["low", "decide.low.log"], ["default", "decide.default.ignore"]]) {
      const run = await emulate(def("conditional"), (e) => (e.action === "conditionalStart" ? { branch } : {}));
      expect(run.status).toBe("SUCCEEDED");
      expect(callLines(run.calls)).toEqual([
        "start (run)", "conditionalStart decide", `task ${step}`, "nodeEnd decide SUCCESS", "task after", "finalise (run) SUCCESS",
      ]);
    }
  });

  it("fails the Conditional with runnable.NoBranch when no branch matches and there is no default", async () => {
    const run = await emulate(def("conditional_no_default"), (e) => (e.action === "conditionalStart" ? { branch: "other" } : {}));
    expect(run.status).toBe("FAILED");
    expect(run.error).toBe(ERRORS.noBranch);
    expect(callLines(run.calls)).toEqual([
      "start (run)", "conditionalStart decide", `nodeEnd decide FAIL ${ERRORS.noBranch}`, `finalise (run) FAIL ${ERRORS.noBranch}`,
    ]);
  });

  it("records a failed Conditional when its start throws (the handler's NoBranch)", async () => {
    const run = await emulate(def("conditional_no_default"), (e) => {
      if (e.action === "conditionalStart") throw aslError(ERRORS.noBranch);
    });
    expect(run.status).toBe("FAILED");
    expect(callLines(run.calls).slice(-2)).toEqual([`nodeEnd decide FAIL ${ERRORS.noBranch}`, `finalise (run) FAIL ${ERRORS.noBranch}`]);
  });

  it("runs a task's onFailure pipeline instead of the rest of the run, and the run succeeds", async () => {
    const run = await emulate(def("on_failure"), failing("risky"));
    expect(run.status).toBe("SUCCEEDED");
    expect(callLines(run.calls)).toEqual([
      "start (run)", "task risky", "task risky.onFailure.cleanup", "task risky.onFailure.alert", "finalise (run) SUCCESS",
    ]);
  });

  it("fails the run when the onFailure pipeline itself fails", async () => {
    const run = await emulate(def("on_failure"), (e) => {
      if (e.action === "task" && (e.path === "risky" || e.path === "risky.onFailure.cleanup")) throw aslError(ERRORS.stepFailed);
    });
    expect(run.status).toBe("FAILED");
    expect(callLines(run.calls)).toEqual([
      "start (run)", "task risky", "task risky.onFailure.cleanup", `finalise (run) FAIL ${ERRORS.stepFailed}`,
    ]);
  });

  it("records a failed Parallel, then runs its onFailure pipeline", async () => {
    const run = await emulate(def("on_failure"), failing("both.a.a1"));
    expect(run.status).toBe("SUCCEEDED");
    expect(callLines(run.calls)).toEqual([
      "start (run)", "task risky", "task both.a.a1", `nodeEnd both FAIL ${ERRORS.stepFailed}`, "task both.onFailure.recover", "finalise (run) SUCCESS",
    ]);
  });

  it("fails the run through a Parallel without onFailure: the composite records FAIL first", async () => {
    const run = await emulate(def("parallel"), failing("train_models.xgboost.train_xgb", ERRORS.timeout));
    expect(run.status).toBe("FAILED");
    expect(run.error).toBe(ERRORS.timeout);
    expect(callLines(run.calls).slice(-2)).toEqual([`nodeEnd train_models FAIL ${ERRORS.timeout}`, `finalise (run) FAIL ${ERRORS.timeout}`]);
    expect(run.calls.some((c) => c.path === "pick")).toBe(false);
  });

  it("retries a step by its policy: fails twice, then succeeds", async () => {
    let failures = 0;
    const run = await emulate(def("task"), (e) => {
      if (e.action === "task" && e.path === "train" && failures < 2) {
        failures++;
        throw aslError(ERRORS.stepFailed);
      }
    });
    expect(run.status).toBe("SUCCEEDED");
    expect(run.calls.filter((c) => c.path === "train")).toHaveLength(3);
    expect(run.events.filter((e) => e.type === "StateRetried")).toHaveLength(2);
  });

  it("stops retrying after the step's attempts and finalises the run as FAIL", async () => {
    const run = await emulate(def("task"), failing("train"));
    expect(run.status).toBe("FAILED");
    expect(run.calls.filter((c) => c.path === "train")).toHaveLength(3);
    expect(callLines(run.calls).at(-1)).toBe(`finalise (run) FAIL ${ERRORS.stepFailed}`);
  });

  it("does not retry a step that has no retry policy", async () => {
    const run = await emulate(def("stub"), failing("use"));
    expect(run.calls.filter((c) => c.path === "use")).toHaveLength(1);
    expect(callLines(run.calls)).toEqual(["start (run)", "stub later", "task use", `finalise (run) FAIL ${ERRORS.stepFailed}`]);
  });

  it("ends the containing pipeline at a Success step and fails it at a Fail step", async () => {
    const ok = await emulate(def("terminals"), (e) => (e.action === "conditionalStart" ? { branch: "true" } : {}));
    expect(ok.status).toBe("SUCCEEDED");
    expect(callLines(ok.calls)).toEqual([
      "start (run)", "conditionalStart gate", "nodeEnd gate.true.done SUCCESS", "nodeEnd gate SUCCESS", "task after", "finalise (run) SUCCESS",
    ]);
    // The real handler records the Fail step, then throws runnable.FailStep.
    const bad = await emulate(def("terminals"), (e) => {
      if (e.action === "conditionalStart") return { branch: "false" };
      if (e.action === "nodeEnd" && e.path === "gate.false.stop") throw aslError(ERRORS.failStep);
    });
    expect(bad.status).toBe("FAILED");
    expect(callLines(bad.calls)).toEqual([
      "start (run)", "conditionalStart gate", `nodeEnd gate.false.stop FAIL ${ERRORS.failStep}`,
      `nodeEnd gate FAIL ${ERRORS.failStep}`, `finalise (run) FAIL ${ERRORS.failStep}`,
    ]);
  });

  it("fails a Map iteration at a Fail step (also when the handler does not throw) and records the Map as failed", async () => {
    const fail = new Pipeline({
      name: "map_fail",
      steps: [new MapNode({ name: "each", iterateOn: "xs", iterateAs: "x", branch: new Pipeline({ steps: [new Fail({ name: "stop" })] }) })],
    });
    const run = await emulate(compile(fail).definition, (e) => (e.action === "mapStart" ? { count: 1 } : {}));
    expect(run.status).toBe("FAILED");
    expect(callLines(run.calls)).toEqual([
      "start (run)", "mapStart each", `nodeEnd each.*.stop [0] FAIL ${ERRORS.failStep}`,
      `nodeEnd each FAIL ${ERRORS.failStep}`, `finalise (run) FAIL ${ERRORS.failStep}`,
    ]);
  });

  it("sends a Batch step its StepEvent as JSON in the container environment", async () => {
    const run = await emulate(def("batch"));
    expect(run.status).toBe("SUCCEEDED");
    expect(run.calls[1]).toEqual({ v: 1, action: "task", runId: "run-1", path: "train_big", indexes: [], execution: "exec-1", retryCount: 0, redriveCount: 0 });
    const inMap = new Pipeline({
      name: "batch_map",
      steps: [new MapNode({ name: "m", iterateOn: "xs", iterateAs: "x", branch: new FunctionTask({ name: "b", function: () => 1, compute: "batch" }).asPipeline() })],
    });
    const mapped = await emulate(compile(inMap).definition, (e) => (e.action === "mapStart" ? { count: 2 } : {}));
    expect(mapped.calls.filter((c) => c.path === "m.*.b").map((c) => c.indexes).sort()).toEqual([[0], [1]]);
  });

  it("fails the run when the start action is refused (dagHash mismatch)", async () => {
    const run = await emulate(def("parallel"), (e) => {
      if (e.action === "start") throw aslError(ERRORS.dagMismatch);
    });
    expect(run.status).toBe("FAILED");
    expect(callLines(run.calls)).toEqual(["start (run)", `finalise (run) FAIL ${ERRORS.dagMismatch}`]);
  });

  it("keeps Parallel branches apart: both run, then the Parallel ends", async () => {
    const p = new Pipeline({ name: "p2", steps: [new Parallel({ name: "p", branches: { b: new FunctionTask({ name: "x", function: () => 1 }).asPipeline(), a: new FunctionTask({ name: "x", function: () => 1 }).asPipeline() } })] });
    const run = await emulate(compile(p).definition);
    expect(run.calls.filter((c) => c.action === "task").map((c) => c.path).sort()).toEqual(["p.a.x", "p.b.x"]);
    expect(callLines(run.calls).slice(-2)).toEqual(["nodeEnd p SUCCESS", "finalise (run) SUCCESS"]);
  });
});
