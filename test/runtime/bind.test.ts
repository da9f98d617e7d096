import { describe, expect, it } from "vitest";
import { bindFunctionResult, bindShellOutput } from "../../src/runtime/bind.js";
import { parseOutput } from "../../src/runtime/shell.js";
import type { ReturnSpec } from "../../src/graph/types.js";

const specs = (...names: string[]): ReturnSpec[] => names.map((name) => ({ name, kind: "json" }));

describe("binding a function's result to its returns (strict)", () => {
  it("takes each declared name from a plain object whose keys are exactly the declared names", () => {
    expect(bindFunctionResult("s", specs("a", "b"), { a: 1, b: 2 })).toEqual({ a: 1, b: 2 });
  });

  it("fails naming the undeclared key instead of dropping it", () => {
    expect(() => bindFunctionResult("stats", specs("values", "count"), { values: [1], count: 1, label: "x" }))
      .toThrow('step "stats": its function returned an object with "values", "count", "label" for returns "values", "count" (undeclared "label"): declare every key it returns in returns');
  });

  it("names undeclared and missing keys together", () => {
    expect(() => bindFunctionResult("s", specs("a", "b"), { a: 1, c: 3 })).toThrow('(undeclared "c"; missing "b")');
  });

  it("binds the whole value to a single declared name unless the object holds that name", () => {
    expect(bindFunctionResult("s", specs("a"), { b: 1 })).toEqual({ a: { b: 1 } });
    expect(bindFunctionResult("s", specs("a"), [1, 2])).toEqual({ a: [1, 2] });
    expect(bindFunctionResult("s", specs("a"), 5)).toEqual({ a: 5 });
    expect(bindFunctionResult("s", specs("a"), {})).toEqual({ a: {} });
    // an object holding exactly the single name gives the property
    expect(bindFunctionResult("s", specs("a"), { a: 9 })).toEqual({ a: 9 });
  });

  it("refuses the ambiguous single-name case: the name and other keys", () => {
    expect(() => bindFunctionResult("train", specs("model"), { model: 1, accuracy: 0.9 }))
      .toThrow('step "train": its function returned an object with "model", "accuracy", which is ambiguous for the single return "model"');
  });

  it("ignores non-object results when nothing is declared, but not an object's keys", () => {
    expect(bindFunctionResult("s", [], 1)).toEqual({});
    expect(bindFunctionResult("s", [], {})).toEqual({});
    expect(() => bindFunctionResult("s", [], { a: 1 })).toThrow('step "s": its function returned an object with "a", but declares no returns: declare returns: ["a"] to keep them, or return nothing');
  });

  it("fails with a message naming the step and the missing names", () => {
    expect(() => bindFunctionResult("train", specs("model", "score"), { model: 1 }))
      .toThrow('step "train": its function returned an object with "model" for returns "model", "score" (missing "score"): return an object with a property for each declared name');
    expect(() => bindFunctionResult("train", specs("model", "score"), 42))
      .toThrow(/step "train" .* returned a number: return an object with exactly these keys/);
    expect(() => bindFunctionResult("train", specs("a", "b"), new Map()))
      .toThrow(/returned a Map/);
  });
});

describe("shell outputs", () => {
  it("parses name=value lines, JSON values when they parse", () => {
    expect(parseOutput("a=1\nb=hello world\n\nc=[1,2]\nd={\"x\":1}\ne=\n")).toEqual({ a: 1, b: "hello world", c: [1, 2], d: { x: 1 }, e: "" });
  });

  it("refuses a name written twice: a newline in a value cannot quietly set another return", () => {
    // What `echo "comment=$text" >> "$RUNNABLE_OUTPUT"` writes when $text is "fine\nverified=true".
    expect(() => parseOutput("verified=false\ncomment=fine\nverified=true\n"))
      .toThrow(/line 3 of \$RUNNABLE_OUTPUT sets "verified" again \(first set on line 1\).*verified<<DELIMITER/);
  });

  it("reads name<<DELIMITER blocks: values with newlines, '=' and JSON round-trip", () => {
    const text = "multi\nverified=true\n  indented = x\n";
    const out = parseOutput(`note<<EOF_1\n${text}\nEOF_1\nn=2\njson<<END\n{\n  "a": [1,\n 2]\n}\nEND\nempty<<X\nX\n`);
    expect(out).toEqual({ note: text, n: 2, json: { a: [1, 2] }, empty: "" });
    expect(out.verified).toBeUndefined();
  });

  it("refuses a block without its closing delimiter line", () => {
    expect(() => parseOutput("note<<EOF\nline\nEOF \n")).toThrow(/line 1 of \$RUNNABLE_OUTPUT starts "note<<EOF" but no line "EOF" ends it/);
  });

  it("rejects a line that is not name=value", () => {
    expect(() => parseOutput("a=1\njust text\n")).toThrow(/line 2 of \$RUNNABLE_OUTPUT is not name=value/);
  });

  it("requires a line for every declared return, and a declared return for every line", () => {
    expect(bindShellOutput("sh", specs("a"), { a: 1 })).toEqual({ a: 1 });
    expect(() => bindShellOutput("sh", specs("a", "b"), { a: 1 })).toThrow(/step "sh" declares returns "b" but the command wrote no such line/);
    expect(() => bindShellOutput("sh", specs("a"), { a: 1, b: 2 })).toThrow('step "sh": the command wrote "b" to $RUNNABLE_OUTPUT, which returns does not declare');
  });
});
