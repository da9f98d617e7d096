// Every intrinsic function the compiler emits must be a form the Step Functions documentation
// covers ("Intrinsic functions for JSONPath states"): a known function, each argument of a kind
// its page documents (a path, or a literal), and no intrinsic nested inside another. Scanned: the
// node-kind fixtures, every example, every emulator and CDK fixture pipeline, the golden files,
// and 100 random pipelines.
import fc from "fast-check";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadPipelineFile } from "../../src/load/index.js";
import { compile } from "../../src/compile/index.js";
import { FunctionTask, Map, Parallel, Pipeline } from "../../src/index.js";
import { FIXTURE_PIPELINES } from "./pipelines.js";

type Arg = "path" | "string" | "number";

/** Documented signatures: the kind of each argument (the last one repeats for variadic functions). */
const ALLOWED: Record<string, { args: Arg[][]; variadic?: boolean }> = {
  // First argument a string literal, then values (paths) to put into its `{}`.
  "States.Format": { args: [["string"], ["path", "number", "string"]], variadic: true },
  "States.Array": { args: [["path", "number", "string"]], variadic: true },
  "States.ArrayRange": { args: [["number", "path"], ["number", "path"], ["number", "path"]] },
  "States.MathAdd": { args: [["number", "path"], ["number", "path"]] },
  // "takes only one argument which is the Path": never another intrinsic.
  "States.JsonToString": { args: [["path"]] },
};

/** Splits `a, 'b, c', States.X(1, 2)` at top-level commas. */
function splitArgs(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      current += c;
      if (c === "\\") current += text[++i] ?? "";
      else if (c === "'") quoted = false;
      continue;
    }
    if (c === "'") quoted = true;
    if (c === "(") depth++;
    if (c === ")") depth--;
    if (c === "," && depth === 0) {
      out.push(current.trim());
      current = "";
    } else current += c;
  }
  if (current.trim()) out.push(current.trim());
  return out;
}

function kindOf(arg: string): Arg | "intrinsic" | "unknown" {
  if (/^States\.[A-Za-z]+\(/.test(arg)) return "intrinsic";
  if (/^'.*'$/s.test(arg)) return "string";
  if (/^-?\d+(\.\d+)?$/.test(arg)) return "number";
  if (/^\$\$?(\.[A-Za-z0-9_]+)*$/.test(arg)) return "path";
  return "unknown";
}

/** Problems of one intrinsic expression against the allowlist (empty when documented). */
export function intrinsicProblems(expr: string): string[] {
  const m = /^(States\.[A-Za-z]+)\((.*)\)$/s.exec(expr);
  if (!m) return [`not an intrinsic call: ${expr}`];
  const [, fn, inner] = m;
  const allowed = ALLOWED[fn!];
  if (!allowed) return [`${fn} is not in the allowlist`];
  const args = splitArgs(inner!);
  if (!allowed.variadic && args.length !== allowed.args.length) return [`${fn} takes ${allowed.args.length} arguments, got ${args.length}`];
  return args.flatMap((arg, i) => {
    const kinds = allowed.args[Math.min(i, allowed.args.length - 1)]!;
    const kind = kindOf(arg);
    return kinds.includes(kind as Arg) ? [] : [`${fn} argument ${i + 1} is ${kind === "intrinsic" ? "a nested intrinsic" : kind} (${arg}); documented: ${kinds.join(" or ")}`];
  });
}

/** Every `"<key>.$": "States.…"` value in a definition, with where it is. */
function intrinsicsIn(value: unknown, where = "$"): { where: string; expr: string }[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => intrinsicsIn(v, `${where}[${i}]`));
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) => {
    if (k.endsWith(".$") && typeof v === "string" && v.startsWith("States.")) return [{ where: `${where}.${k}`, expr: v }];
    return intrinsicsIn(v, `${where}.${k}`);
  });
}

function undocumented(definition: unknown): string[] {
  return intrinsicsIn(definition).flatMap(({ where, expr }) => intrinsicProblems(expr).map((p) => `${where}: ${p}`));
}

const ROOT = join(import.meta.dirname, "..", "..");
// Fixtures that exist to be refused (test/cdk/typed.test.ts checks the refusal) never compile.
const REFUSED = new Set(["typed-unprovided.ts"]);
const pipelineFiles = [
  ...readdirSync(join(ROOT, "examples")).map((d) => join(ROOT, "examples", d, "pipeline.ts")).filter(existsSync),
  ...["test/emulate/fixtures", "test/cdk/fixtures"].flatMap((d) => readdirSync(join(ROOT, d)).filter((f) => f.endsWith(".ts") && !REFUSED.has(f)).map((f) => join(ROOT, d, f))),
];

describe("intrinsic functions in compiled definitions", () => {
  it("recognises the forms the documentation does not cover", () => {
    expect(intrinsicProblems("States.JsonToString(States.Array($.i0))")).toEqual([expect.stringContaining("nested intrinsic")]);
    expect(intrinsicProblems("States.ArrayRange(0, States.MathAdd($.r.count, -1), 100)")).toEqual([expect.stringContaining("nested intrinsic")]);
    expect(intrinsicProblems("States.Hash($.x, 'SHA-1')")).toEqual([expect.stringContaining("not in the allowlist")]);
    expect(intrinsicProblems("States.Format('a{}b\\\\{', $.runId, $$.State.RetryCount)")).toEqual([]);
  });

  it("uses only documented forms in every node-kind fixture and golden file", () => {
    for (const [name, make] of Object.entries(FIXTURE_PIPELINES)) expect(undocumented(compile(make()).definition), name).toEqual([]);
    const golden = join(ROOT, "test", "fixtures");
    for (const f of readdirSync(golden).filter((x) => x.endsWith(".asl.json"))) {
      expect(undocumented(JSON.parse(readFileSync(join(golden, f), "utf8"))), f).toEqual([]);
    }
  });

  it("uses only documented forms in every example, emulator and CDK fixture pipeline", async () => {
    expect(pipelineFiles.length).toBeGreaterThan(15);
    for (const file of pipelineFiles) {
      const { pipeline, fallbackName } = await loadPipelineFile(file);
      expect(undocumented(compile(pipeline, { fallbackName }).definition), file).toEqual([]);
    }
  });

  it("uses only documented forms for batch steps and Maps nested at any depth (100 random nestings)", () => {
    const leaf = fc.constantFrom<"lambda" | "batch">("lambda", "batch").map((compute) => ({ compute }));
    type Shape = { compute: "lambda" | "batch" } | { map: Shape; distributed: boolean } | { parallel: Shape[] };
    const shape: fc.Arbitrary<Shape> = fc.letrec<{ s: Shape }>((tie) => ({
      s: fc.oneof({ depthSize: "small", withCrossShrink: true }, leaf,
        fc.record({ map: tie("s"), distributed: fc.boolean() }), fc.record({ parallel: fc.array(tie("s"), { minLength: 1, maxLength: 2 }) })),
    })).s;
    let n = 0;
    const build = (s: Shape): FunctionTask | Map | Parallel => {
      const name = `s${n++}`;
      if ("compute" in s) return new FunctionTask({ name, function: () => 1, compute: s.compute });
      if ("map" in s) return new Map({ name, iterateOn: "xs", iterateAs: `x${n}`, distributed: s.distributed, branch: build(s.map).asPipeline() });
      return new Parallel({ name, branches: Object.fromEntries(s.parallel.map((b, i) => [`b${i}`, build(b).asPipeline()])) });
    };
    fc.assert(fc.property(shape, (s) => {
      n = 0;
      expect(undocumented(compile(new Pipeline({ name: "random", steps: [build(s)] })).definition)).toEqual([]);
    }), { numRuns: 100, seed: 20261129 });
  });
});
