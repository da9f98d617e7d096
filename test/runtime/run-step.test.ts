import { describe, expect, it } from "vitest";
import { FunctionTask, Map as MapStep, Pipeline, metric, object } from "../../src/index.js";
import { runLocal } from "../execute/helpers.js";

describe("runStep", () => {
  it("records metric() returns both as outputs and as metrics", async () => {
    const run = await runLocal(new Pipeline({ steps: [
      new FunctionTask({ name: "eval", returns: [metric("accuracy"), "note"], function: async () => ({ accuracy: 0.93, note: "ok" }) }),
    ] }));
    expect(run.log.steps.eval!.attempts[0]).toMatchObject({ outputParameters: { accuracy: 0.93, note: "ok" }, metrics: { accuracy: 0.93 } });
  });

  it("refuses a non-JSON value for a json return, suggesting object()", async () => {
    const run = await runLocal(new Pipeline({ steps: [
      new FunctionTask({ name: "mk", returns: ["lookup"], function: () => new globalThis.Map([["a", 1]]) }),
    ] }));
    expect(run.status).toBe("FAIL");
    expect(run.log.steps.mk!.attempts[0]!.error!.message).toBe('step "mk": return "lookup" is not a JSON value (a Map); declare it object("lookup") to keep it as a structured clone');
  });

  it("records an async function's rejection with its error class, message and stack", async () => {
    class DataError extends Error {
      override name = "DataError";
    }
    const run = await runLocal(new Pipeline({ steps: [
      new FunctionTask({ name: "load", function: async () => { await Promise.resolve(); throw new DataError("column price is missing"); } }),
    ] }));
    expect(run.log.steps.load!.attempts[0]!.error).toMatchObject({ name: "DataError", message: "column price is missing", stack: expect.stringMatching(/DataError: column price is missing/) });
  });

  it("maps over an object() list, each iteration getting its live item", async () => {
    const run = await runLocal(new Pipeline({ steps: [
      new FunctionTask({ name: "dates", returns: [object("days")], function: () => [new Date("2024-01-01T00:00:00Z"), new Date("2024-06-01T00:00:00Z")] }),
      new MapStep({ name: "each", iterateOn: "days", iterateAs: "day", branch: new FunctionTask({
        name: "month", returns: ["m"], function: ({ day }: { day: Date }) => (day instanceof Date ? day.getUTCMonth() + 1 : "not a Date"),
      }).asPipeline() }),
    ] }));
    expect(run.status).toBe("SUCCESS");
    expect(run.log.finalParameters.m).toEqual([1, 6]);
    expect(run.log.steps["each.1.month"]!.attempts[0]!.inputParameters.day).toEqual({ $object: expect.any(String), $index: 1 });
  });

  it("gives each function a fresh copy of an object(), so one step's mutation does not leak into another", async () => {
    const run = await runLocal(new Pipeline({ steps: [
      new FunctionTask({ name: "make", returns: [object("bag")], function: () => new Set([1]) }),
      new FunctionTask({ name: "mutate", function: ({ bag }: { bag: Set<number> }) => void bag.add(2) }),
      new FunctionTask({ name: "look", returns: ["size"], function: ({ bag }: { bag: Set<number> }) => bag.size }),
    ] }));
    expect(run.log.finalParameters.size).toBe(1);
  });

  it("records a Pipeline's source file, also when built with asPipeline()", () => {
    const p = new FunctionTask({ name: "t", function: () => null }).asPipeline();
    expect(p.source).toMatch(/test\/runtime\/run-step\.test\.ts$/);
  });
});
