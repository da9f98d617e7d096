import { describe, expect, it } from "vitest";
import { Conditional, Fail, FunctionTask, Map as MapStep, Parallel, Pipeline, Stub, Success, object } from "../../src/index.js";
import { retryDelayMs } from "../../src/execute/local.js";
import { runLocal, statuses } from "./helpers.js";

const fn = (name: string, returns: string[], f: (p: Record<string, unknown>) => unknown, extra: Record<string, unknown> = {}) =>
  new FunctionTask({ name, returns, function: f, ...extra });

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe("local executor: concurrency", () => {
  it("runs Parallel branches concurrently: two branches waiting on each other's signal both finish", async () => {
    const a = deferred();
    const b = deferred();
    const run = await runLocal(new Pipeline({ steps: [new Parallel({ name: "par", branches: {
      one: fn("one", ["x"], async () => { a.resolve(); await b.promise; return 1; }).asPipeline(),
      two: fn("two", ["y"], async () => { b.resolve(); await a.promise; return 2; }).asPipeline(),
    } })] }));
    expect(run.status).toBe("SUCCESS");
    expect(run.log.finalParameters).toEqual({ x: 1, y: 2 });
    // the composite's attempt spans its branches' attempts
    const par = run.log.steps.par!.attempts[0]!;
    for (const child of ["par.one.one", "par.two.two"]) {
      const a = run.log.steps[child]!.attempts[0]!;
      expect(par.startedAt <= a.startedAt && a.endedAt <= par.endedAt).toBe(true);
    }
    expect(par.startedAt).toBe([run.log.steps["par.one.one"]!, run.log.steps["par.two.two"]!].map((s) => s.attempts[0]!.startedAt).sort()[0]);
    expect(Object.keys(run.log.steps)[0]).toBe("par");
  });

  it("bounds Map iterations by maxConcurrency and Parallel branches by the maxConcurrency option", async () => {
    let inFlight = 0;
    let peak = 0;
    const track = async () => {
      peak = Math.max(peak, ++inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return null;
    };
    const map = new Pipeline({ steps: [new MapStep({ name: "m", iterateOn: "items", iterateAs: "i", maxConcurrency: 3, branch: fn("t", [], track).asPipeline() })] });
    await runLocal(map, { parameters: { items: Array.from({ length: 12 }, (_, i) => i) } });
    expect(peak).toBe(3);
    peak = 0;
    const par = new Pipeline({ steps: [new Parallel({ name: "p", branches: Object.fromEntries(
      Array.from({ length: 5 }, (_, i) => [`b${i}`, fn(`t${i}`, [], track).asPipeline()])) })] });
    await runLocal(par, { maxConcurrency: 2 });
    expect(peak).toBe(2);
    peak = 0;
    await runLocal(par);
    expect(peak).toBe(5);
  });
});

describe("local executor: Map, Conditional", () => {
  it("collects each returned name in index order and applies the reducer; default is the list", async () => {
    const run = await runLocal(new Pipeline({ steps: [
      new MapStep({ name: "sq", iterateOn: "xs", iterateAs: "x", reducer: (v) => (v as number[]).reduce((s, n) => s + n, 0),
        branch: fn("square", ["s"], async ({ x }) => { await new Promise((r) => setTimeout(r, 10 - (x as number))); return (x as number) ** 2; }).asPipeline() }),
      new MapStep({ name: "ids", iterateOn: "xs", iterateAs: "x", branch: fn("label", ["label"], ({ x }) => `#${x}`).asPipeline() }),
      fn("use", ["both"], ({ s, label }) => ({ s, label }), {}),
    ] }), { parameters: { xs: [1, 2, 3, 4] } });
    expect(run.status).toBe("SUCCESS");
    expect(run.log.finalParameters).toMatchObject({ s: 30, label: ["#1", "#2", "#3", "#4"], both: { s: 30, label: ["#1", "#2", "#3", "#4"] } });
    expect(run.log.steps.sq).toMatchObject({ type: "map", status: "SUCCESS" });
    expect(run.log.steps.sq!.attempts[0]).toMatchObject({ iterations: 4, outputParameters: { s: 30 } });
    expect(Object.keys(run.log.steps).filter((k) => k.startsWith("sq.")).sort()).toEqual(["sq.0.square", "sq.1.square", "sq.2.square", "sq.3.square"]);
  });

  it("restores object() values collected by a Map as one list of live values", async () => {
    const run = await runLocal(new Pipeline({ steps: [
      new MapStep({ name: "m", iterateOn: "xs", iterateAs: "x", branch: new FunctionTask({ name: "mk", returns: [object("set")], function: ({ x }: { x: number }) => new Set([x]) }).asPipeline() }),
      fn("count", ["sizes"], ({ set }) => (set as Set<number>[]).map((s) => (s instanceof Set ? [...s][0] : "not a set"))),
    ] }), { parameters: { xs: [5, 6] } });
    expect(run.log.finalParameters.sizes).toEqual([5, 6]);
    expect(run.log.finalParameters.set).toEqual({ $object: expect.any(String) });
  });

  it("takes the branch matching String(value), else default, else fails with a clear error", async () => {
    const make = (withDefault: boolean) => new Pipeline({ steps: [new Conditional({
      name: "decide", parameter: "level",
      branches: { "3": fn("three", ["picked"], () => "three").asPipeline(), high: fn("hi", ["picked"], () => "high").asPipeline() },
      ...(withDefault ? { default: fn("other", ["picked"], () => "default").asPipeline() } : {}),
    }), fn("after", [], () => null)] });
    expect((await runLocal(make(false), { parameters: { level: 3 } })).log.finalParameters.picked).toBe("three");
    const def = await runLocal(make(true), { parameters: { level: "low" } });
    expect(def.log.finalParameters.picked).toBe("default");
    expect(def.log.steps.decide!.attempts[0]).toMatchObject({ branch: "default", inputParameters: { level: "low" } });
    expect(Object.keys(def.log.steps)).toContain("decide.default.other");
    const none = await runLocal(make(false), { parameters: { level: "low" } });
    expect(none.status).toBe("FAIL");
    expect(none.log.steps.decide!.attempts[0]!.error).toMatchObject({ name: "runnable.NoBranch", message: expect.stringMatching(/parameter "level" is "low", which matches no branch/) });
    expect(none.log.steps.after).toBeUndefined();
  });
});

describe("local executor: onFailure and terminals", () => {
  const boom = (name: string, extra: Record<string, unknown> = {}) => fn(name, ["never"], () => { throw new Error(`${name} broke`); }, extra);

  it("at top level, the onFailure pipeline replaces the rest and decides the run's status", async () => {
    const ok = await runLocal(new Pipeline({ steps: [boom("a", { onFailure: fn("cleanup", ["cleaned"], () => true).asPipeline() }), fn("b", [], () => null)] }));
    expect(ok.status).toBe("SUCCESS");
    expect(statuses(ok.log)).toEqual({ a: "FAIL", "a.onFailure.cleanup": "SUCCESS" });
    expect(ok.log.finalParameters).toEqual({ cleaned: true });
    const failing = await runLocal(new Pipeline({ steps: [boom("a", { onFailure: new Pipeline({ steps: [fn("notify", [], () => null), new Fail({ name: "give_up" })] }) })] }));
    expect(failing.status).toBe("FAIL");
    expect(statuses(failing.log)).toEqual({ a: "FAIL", "a.onFailure.notify": "SUCCESS", "a.onFailure.give_up": "FAIL" });
  });

  it("inside a Parallel branch, the recovery completes the branch and the run goes on", async () => {
    const run = await runLocal(new Pipeline({ steps: [
      new Parallel({ name: "par", branches: {
        left: new Pipeline({ steps: [boom("l1", { onFailure: fn("patch", ["fixed"], () => "yes").asPipeline() }), fn("l2", [], () => null)] }),
        right: fn("r1", ["r"], () => 1).asPipeline(),
      } }),
      // `fixed` exists only when l1 fails and "patch" recovers: the default keeps the flow check satisfied.
      fn("after", ["seen"], ({ fixed = "not recovered", r }) => `${fixed}/${r}`),
    ] }));
    expect(run.status).toBe("SUCCESS");
    expect(statuses(run.log)).toEqual({ "par.left.l1": "FAIL", "par.left.l1.onFailure.patch": "SUCCESS", "par.right.r1": "SUCCESS", par: "SUCCESS", after: "SUCCESS" });
    expect(run.log.finalParameters.seen).toBe("yes/1");
  });

  it("a failed branch fails the Parallel, whose own onFailure then decides", async () => {
    const run = await runLocal(new Pipeline({ steps: [
      new Parallel({ name: "par", onFailure: fn("handle", ["handled"], () => true).asPipeline(), branches: {
        left: boom("l1").asPipeline(), right: fn("r1", [], () => null).asPipeline(),
      } }),
      fn("after", [], () => null),
    ] }));
    expect(run.status).toBe("SUCCESS");
    expect(statuses(run.log)).toMatchObject({ "par.left.l1": "FAIL", par: "FAIL", "par.onFailure.handle": "SUCCESS" });
    expect(run.log.steps.par!.attempts[0]!.error).toMatchObject({ name: "runnable.StepFailed", message: "l1 broke" });
    expect(run.log.steps.after).toBeUndefined();
  });

  it("a Fail step fails its pipeline; a Success step ends it successfully", async () => {
    const failed = await runLocal(new Pipeline({ steps: [fn("a", [], () => null), new Fail({ name: "stop" })] }));
    expect(failed.status).toBe("FAIL");
    expect(failed.log.steps.stop).toMatchObject({ type: "fail", status: "FAIL" });
    const done = await runLocal(new Pipeline({ steps: [new Stub({ name: "s" }), new Success({ name: "end" })] }));
    expect(done.status).toBe("SUCCESS");
    expect(done.log.steps.end).toMatchObject({ type: "success", status: "SUCCESS" });
  });
});

describe("local executor: retry and timeout", () => {
  it("retries with intervalSeconds·backoffRate^n capped by maxDelaySeconds, numbering attempts", async () => {
    let n = 0;
    const waits: number[] = [];
    const run = await runLocal(new Pipeline({ steps: [fn("flaky", ["ok"], () => { if (++n < 4) throw new Error(`try ${n}`); return n; },
      { retry: { attempts: 5, intervalSeconds: 2, backoffRate: 3, maxDelaySeconds: 10 } })] }), { sleep: async (ms) => { waits.push(ms); } });
    expect(run.status).toBe("SUCCESS");
    expect(waits).toEqual([2000, 6000, 10000]);
    expect(run.log.steps.flaky!.attempts.map((a) => [a.attempt, a.status])).toEqual([[1, "FAIL"], [2, "FAIL"], [3, "FAIL"], [4, "SUCCESS"]]);
    expect(retryDelayMs({ attempts: 3, intervalSeconds: 0.5, backoffRate: 2 }, 3)).toBe(4000);
  });

  it("gives up after the last attempt", async () => {
    const run = await runLocal(new Pipeline({ steps: [fn("bad", [], () => { throw new Error("always"); }, { retry: { attempts: 2 } })] }));
    expect(run.status).toBe("FAIL");
    expect(run.log.steps.bad!.attempts).toHaveLength(2);
  });

  it("fails an attempt that runs past timeoutSeconds with runnable.Timeout, then retries it", async () => {
    let n = 0;
    const run = await runLocal(new Pipeline({ steps: [fn("slow", ["done"], async () => {
      if (++n === 1) await new Promise((r) => setTimeout(r, 3000));
      return n;
    }, { timeoutSeconds: 1, retry: { attempts: 2 } })] }));
    expect(run.status).toBe("SUCCESS");
    expect(run.log.steps.slow!.attempts[0]!.error).toMatchObject({ name: "runnable.Timeout", message: 'step "slow" timed out after 1.0s (timeoutSeconds 1)' });
    expect(run.log.finalParameters.done).toBe(2);
  });
});

describe("local executor: blocking functions", () => {
  it("times out a synchronous function that blocks past timeoutSeconds", async () => {
    const run = await runLocal(new Pipeline({ steps: [fn("spin", [], () => {
      const end = Date.now() + 1200;
      while (Date.now() < end) { /* blocks the event loop */ }
      return null;
    }, { timeoutSeconds: 1 })] }));
    expect(run.status).toBe("FAIL");
    expect(run.log.steps.spin!.attempts[0]!.error).toMatchObject({ name: "runnable.Timeout" });
  });
});

describe("local executor: progress events", () => {
  it("reports start and end of every step and the end of the run", async () => {
    const run = await runLocal(new Pipeline({ steps: [fn("a", [], () => null), new Parallel({ name: "p", branches: { x: fn("b", [], () => null).asPipeline() } })] }));
    const seen = run.events.map((e) => `${e.type}:${e.stepPath}${e.status ? `:${e.status}` : ""}`);
    expect(seen).toEqual([`run-start:${run.runId}`, "step-start:a", "step-end:a:SUCCESS", "step-start:p", "step-start:p.x.b", "step-end:p.x.b:SUCCESS", "step-end:p:SUCCESS", `run-end:${run.runId}:SUCCESS`]);
    expect(run.events[0]!.graph?.steps.map((n) => n.name)).toEqual(["a", "p"]);
    expect(run.events[2]).toMatchObject({ kind: "function", attempt: 1, durationMs: expect.any(Number) });
    const failed = await runLocal(new Pipeline({ steps: [fn("bad", [], () => { throw new RangeError("out of range"); })] }));
    expect(failed.events.find((e) => e.type === "step-end")).toMatchObject({ status: "FAIL", error: { name: "RangeError", message: "out of range" } });
  });
});
