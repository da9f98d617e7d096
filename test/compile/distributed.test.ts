// Distributed Map options in the compiled state: the Map Run label the IAM grants are scoped to, and
// the failure tolerance, which only Distributed Maps support.
import { describe, expect, it } from "vitest";
import { compile, mapRunLabel } from "../../src/compile/index.js";
import { FunctionTask, Map, Pipeline } from "../../src/index.js";
import { DefinitionError } from "../../src/sdk/errors.js";

const branch = () => new FunctionTask({ name: "work", function: () => 1 }).asPipeline();

describe("Distributed Map state", () => {
  it("carries a Label and the tolerated failures", () => {
    const r = compile(new Pipeline({ name: "d", steps: [
      new Map({ name: "fan", iterateOn: "xs", iterateAs: "x", distributed: true, toleratedFailurePercentage: 5, toleratedFailureCount: 10, branch: branch() }),
    ] }));
    expect(r.definition.States.fan).toMatchObject({ Label: "fan", ToleratedFailurePercentage: 5, ToleratedFailureCount: 10 });
  });

  it("labels long or dotted state names with at most 40 safe characters, stable and distinct", () => {
    const long = `${"a".repeat(60)}.each.inner`;
    expect(mapRunLabel("fan")).toBe("fan");
    expect(mapRunLabel(long)).toMatch(/^[A-Za-z0-9_-]{1,40}$/);
    expect(mapRunLabel(long)).toBe(mapRunLabel(long));
    expect(mapRunLabel("a.b")).not.toBe(mapRunLabel("a_b"));
  });

  it("refuses a tolerance on an inline Map, and out-of-range values, naming the step", () => {
    const make = (extra: Record<string, unknown>) => () => new Map({ name: "fan", iterateOn: "xs", iterateAs: "x", branch: branch(), ...extra });
    expect(make({ toleratedFailureCount: 1 })).toThrow(DefinitionError);
    expect(make({ toleratedFailureCount: 1 })).toThrow(/step "fan": .*need distributed: true/);
    expect(make({ distributed: true, toleratedFailurePercentage: 101 })).toThrow(/toleratedFailurePercentage must be a number from 0 to 100/);
    expect(make({ distributed: true, toleratedFailureCount: -1 })).toThrow(/toleratedFailureCount must be an integer/);
  });
});
