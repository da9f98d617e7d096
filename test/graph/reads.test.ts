import { describe, expect, it } from "vitest";
import { declaredReads, inferReads } from "../../src/graph/index.js";

// Functions as users write them (TypeScript, transpiled by tsx/esbuild like any pipeline file).
/* eslint-disable @typescript-eslint/no-explicit-any */
// The cases below are source text for the reads analysis: unused names and `arguments` are the point.
/* eslint-disable @typescript-eslint/no-unused-vars, prefer-rest-params */
const helper = (x: unknown) => x;

const cases: [string, (p: any) => unknown, { required: string[]; optional: string[]; open: boolean } | undefined][] = [
  ["destructured names are required", ({ values, count }: any) => values.length + count, { required: ["count", "values"], optional: [], open: false }],
  ["a default makes a name optional", ({ max_depth = 10, x }: any) => max_depth + x, { required: ["x"], optional: ["max_depth"], open: false }],
  ["a destructured name the body never uses is optional", ({ used, unused }: any) => used, { required: ["used"], optional: ["unused"], open: false }],
  ["a flag tested with if is optional", ({ verbose, n }: any) => { if (verbose) helper(n); return n; }, { required: ["n"], optional: ["verbose"], open: false }],
  ["?? and ?. make a name optional", ({ a, b }: any) => (a ?? 1) + b?.length, { required: [], optional: ["a", "b"], open: false }],
  ["x === undefined is a presence test", ({ x }: any) => (x === undefined ? 0 : x), { required: [], optional: ["x"], open: false }],
  ["member reads of a named argument", (p: any) => p.a + p["b"] + (p.c ?? 3), { required: ["a", "b"], optional: ["c"], open: false }],
  ["typeof and `in` are presence tests", (p: any) => (typeof p.x === "string" && "y" in p ? 1 : 2), { required: [], optional: ["x", "y"], open: false }],
  ["destructuring the argument inside the body", (p: any) => { const { a, b = 2 } = p; return a + b; }, { required: ["a"], optional: ["b"], open: false }],
  ["a nested pattern reads its key", ({ cfg: { depth } }: any) => depth, { required: ["cfg"], optional: [], open: false }],
  ["a rest element leaves the reads open", ({ a, ...rest }: any) => [a, rest], { required: ["a"], optional: [], open: true }],
  ["passing the argument on leaves them open", (p: any) => helper(p) ?? p.a, { required: ["a"], optional: [], open: true }],
  ["an inner binding of the same name hides the argument", (p: any) => [1].map((p: any) => p.zzz).concat(p.real), { required: ["real"], optional: [], open: false }],
  ["no parameter reads nothing", () => 1, { required: [], optional: [], open: false }],
  ["an unused parameter reads nothing", (_p: any) => 1, { required: [], optional: [], open: false }],
  ["async functions", async function ({ text }: any) { return text; }, { required: ["text"], optional: [], open: false }],
  ["an argument only passed on is unknown", (p: any) => JSON.stringify(p), undefined],
  ["a computed key is unknown", (p: any) => p[String(Math.random())], undefined],
  ["a bound function is unknown (no source)", ((p: any) => p.q).bind(null), undefined],
  ["`arguments` makes a function unknown", function () { return (arguments as any)[0].x; }, undefined],
];

describe("reads inferred from a function's source", () => {
  it.each(cases)("%s", (_name, fn, expected) => {
    const reads = inferReads(fn);
    if (expected === undefined) expect(reads).toBeUndefined();
    else expect(reads).toEqual({ ...expected, declared: false });
  });

  it("reads object methods and class methods", () => {
    const obj = { train({ data }: any) { return data; } };
    class Job { async run(p: any) { return p.input; } }
    expect(inferReads(obj.train)?.required).toEqual(["data"]);
    expect(inferReads(new Job().run)?.required).toEqual(["input"]);
  });

  it("never throws on sources it cannot parse", () => {
    const weird = Object.assign(() => 1, { toString: () => "not a function {" });
    expect(() => inferReads(weird)).not.toThrow();
  });

  it("takes declared reads as given, '?' marking optional ones", () => {
    expect(declaredReads(["a", "b?"])).toEqual({ required: ["a"], optional: ["b"], open: false, declared: true });
  });
});
