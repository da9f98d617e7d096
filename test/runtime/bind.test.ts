import { describe, expect, it } from "vitest";
import { bindFunctionResult, bindShellOutput } from "../../src/runtime/bind.js";
import { parseOutput } from "../../src/runtime/shell.js";
import type { ReturnSpec } from "../../src/graph/types.js";

const specs = (...names: string[]): ReturnSpec[] => names.map((name) => ({ name, kind: "json" }));

describe("binding a function's result to its returns", () => {
  it("takes each declared name from a plain object that has them all", () => {
    expect(bindFunctionResult("s", specs("a", "b"), { a: 1, b: 2, c: 3 })).toEqual({ a: 1, b: 2 });
  });

  it("binds the whole value to a single declared name otherwise", () => {
    expect(bindFunctionResult("s", specs("a"), { b: 1 })).toEqual({ a: { b: 1 } });
    expect(bindFunctionResult("s", specs("a"), [1, 2])).toEqual({ a: [1, 2] });
    expect(bindFunctionResult("s", specs("a"), 5)).toEqual({ a: 5 });
    // a plain object holding the single name still gives the property
    expect(bindFunctionResult("s", specs("a"), { a: 9 })).toEqual({ a: 9 });
  });

  it("ignores the result when nothing is declared", () => {
    expect(bindFunctionResult("s", [], { a: 1 })).toEqual({});
  });

  it("fails with a message naming the step and the missing names", () => {
    expect(() => bindFunctionResult("train", specs("model", "score"), { model: 1 }))
      .toThrow(/step "train" declares returns "model", "score" but its function returned an object with "model" \(missing "score"\)/);
    expect(() => bindFunctionResult("train", specs("model", "score"), 42))
      .toThrow(/step "train" .* returned a number \(missing "model", "score"\)/);
    expect(() => bindFunctionResult("train", specs("a", "b"), new Map()))
      .toThrow(/returned a Map/);
  });
});

describe("shell outputs", () => {
  it("parses name=value lines, JSON values when they parse, later lines winning", () => {
    expect(parseOutput("a=1\nb=hello world\n\nc=[1,2]\nd={\"x\":1}\na=2\ne=\n")).toEqual({ a: 2, b: "hello world", c: [1, 2], d: { x: 1 }, e: "" });
  });

  it("rejects a line that is not name=value", () => {
    expect(() => parseOutput("a=1\njust text\n")).toThrow(/line 2 of \$RUNNABLE_OUTPUT is not name=value/);
  });

  it("requires a line for every declared return", () => {
    expect(bindShellOutput("sh", specs("a"), { a: 1, b: 2 })).toEqual({ a: 1 });
    expect(() => bindShellOutput("sh", specs("a", "b"), { a: 1 })).toThrow(/step "sh" declares returns "b" but the command wrote no such line/);
  });
});
