// What a run records and says when a step's function meets data it did not expect — for functions
// whose reads or returns the static checks cannot see (the argument is passed on to a helper).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FunctionTask, Pipeline } from "../../src/index.js";
import { runLocal } from "./helpers.js";

/* eslint-disable @typescript-eslint/no-explicit-any */
const sum = (p: any) => p.valuse.reduce((a: number, b: number) => a + b, 0);
const double = (p: any) => ({ b: p.x * 2 });
const stats = (p: any) => ({ values: p.values, count: p.values.length, label: "x" });

describe("errors that point at the cause", () => {
  it("a TypeError after reading an unprovided parameter says so, and the attempt records it", async () => {
    const run = await runLocal(new Pipeline({ steps: [
      new FunctionTask({ name: "load", function: () => [1, 2, 3], returns: ["values"] }),
      new FunctionTask({ name: "sum", function: (p: unknown) => sum(p), returns: ["total"] }),
    ] }));
    expect(run.status).toBe("FAIL");
    const attempt = run.log.steps.sum!.attempts[0]!;
    expect(attempt.error).toMatchObject({
      name: "TypeError",
      message: "Cannot read properties of undefined (reading 'reduce') — the function read \"valuse\", which was not provided (it got undefined)",
    });
    expect(attempt.unprovided).toEqual(["valuse"]);
    expect(attempt.inputParameters).toEqual({});
  });

  it("the NaN hint blames the unprovided read, not the return", async () => {
    const run = await runLocal(new Pipeline({ steps: [new FunctionTask({ name: "twice", function: (p: unknown) => double(p), returns: ["b"] })] }));
    expect(run.log.steps.twice!.attempts[0]!.error?.message).toBe(
      'step "twice": return "b" is not a JSON value (the number NaN), most likely because the function read "x", which was not provided (it got undefined)',
    );
  });

  it("a NaN computed from provided values is called a computation problem", async () => {
    const run = await runLocal(new Pipeline({ steps: [new FunctionTask({ name: "ratio", function: ({ n }: { n: number }) => n / 0 - n / 0, returns: ["r"] })] }), { parameters: { n: 1 } });
    expect(run.log.steps.ratio!.attempts[0]!.error?.message).toMatch(/^step "ratio": return "r" is not a JSON value \(the number NaN\): JSON cannot hold NaN, Infinity or undefined — check the computation/);
    expect(run.log.steps.ratio!.attempts[0]!.unprovided).toBeUndefined();
  });

  it("strict returns: an undeclared key fails the step instead of being dropped", async () => {
    const run = await runLocal(new Pipeline({ steps: [
      new FunctionTask({ name: "stats", function: (p: unknown) => stats(p), returns: ["values", "count"] }),
    ] }), { parameters: { values: [1, 2, 3] } });
    expect(run.status).toBe("FAIL");
    expect(run.log.steps.stats!.attempts[0]!.error?.message).toBe(
      'step "stats": its function returned an object with "values", "count", "label" for returns "values", "count" (undeclared "label"): declare every key it returns in returns',
    );
    expect(run.log.steps.stats!.attempts[0]!.inputParameters).toEqual({ values: [1, 2, 3] });
  });
});

describe("RunResult", () => {
  it("a failed run has a top-level error naming the step; finalParameters is the final scope", async () => {
    const root = mkdtempSync(join(tmpdir(), "runnable-result-"));
    const pipeline = new Pipeline({ steps: [
      new FunctionTask({ name: "load", function: () => [1], returns: ["values"] }),
      new FunctionTask({ name: "boom", function: ({ values }: { values: number[] }) => { throw new RangeError(`bad ${values.length}`); } }),
    ] });
    const result = await pipeline.execute({ root, parameters: { seed: 1 } });
    expect(result.status).toBe("FAIL");
    expect(result.error).toEqual({ step: "boom", name: "RangeError", message: "bad 1" });
    expect(result.finalParameters).toEqual({ seed: 1, values: [1] });
    expect(result.parameters).toEqual(result.finalParameters);
    expect(result.runLog.parameters).toEqual({ seed: 1 });
  });
});
