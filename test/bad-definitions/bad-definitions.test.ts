// Rejected definitions, each run through the CLI as a user would: exit code 2, the message names
// the offending step and field, and nothing ran — no run directory, no file the first step writes.
import { existsSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { runCli, runsIn, tempDir, writePipeline } from "../helpers/cli.js";

interface Case {
  /** What kind of mistake (the suite covers many kinds). */
  kind: string;
  name: string;
  /** Steps after `first`, or (with `pipeline`) the whole default-export expression. */
  steps?: string;
  pipeline?: string;
  /** Extra CLI arguments and files. */
  args?: string[];
  files?: Record<string, string>;
  /** Fragments stderr must contain (the step path and the field or rule). */
  expect: string[];
}

const ZOD = pathToFileURL(createRequire(import.meta.url).resolve("zod")).href;

const HEADER = `
import { writeFileSync } from "node:fs";
import { z } from ${JSON.stringify(ZOD)};
import { Catalog, Conditional, Fail, FunctionTask, Map, Parallel, Pipeline, ShellTask, Stub, Success, json } from "runnable-ts";
const t = (name: string, extra: Record<string, unknown> = {}) => new FunctionTask({ name, function: () => 1, ...extra } as never);
// If anything ran, this file would exist.
const first = new FunctionTask({ name: "first", function: () => { writeFileSync("ran.txt", "ran"); return [1, 2]; }, returns: ["items"] });
`;

const CASES: Case[] = [
  // step names
  { kind: "invalid name", name: "space in a step name", steps: `t("load data")`, expect: ['step "load data"', "FunctionTask name", "must match"] },
  { kind: "invalid name", name: "step name starting with a digit", steps: `t("1st")`, expect: ['step "1st"', "is invalid"] },
  { kind: "invalid name", name: "step name longer than 64 characters", steps: `t("${"a".repeat(65)}")`, expect: [`"${"a".repeat(65)}"`, "is invalid"] },
  // duplicate names
  { kind: "duplicate name", name: "two top-level steps with one name", steps: `t("load"), t("load")`, expect: ['step "load"', "used twice"] },
  { kind: "duplicate name", name: "duplicate inside a Parallel branch", steps: `new Parallel({ name: "par", branches: { a: new Pipeline({ steps: [t("x"), t("x")] }) } })`, expect: ['step "par.a.x"', "used twice"] },
  // returns
  { kind: "bad returns", name: "return name that is not a parameter name", steps: `t("calc", { returns: ["not-valid"] })`, expect: ['step "calc"', 'returns[0] "not-valid"', "not a valid parameter name"] },
  { kind: "bad returns", name: "return declared twice", steps: `t("calc", { returns: ["a", json("a")] })`, expect: ['step "calc"', 'return "a" is declared twice'] },
  { kind: "bad returns", name: "returns that is not an array", steps: `t("calc", { returns: "a" })`, expect: ['step "calc"', "returns must be an array"] },
  // catalog paths
  { kind: "catalog path", name: "absolute catalog get", steps: `t("read", { catalog: new Catalog({ get: ["/etc/passwd"] }) })`, expect: ['step "read"', 'catalog.get[0] "/etc/passwd"', "absolute"] },
  { kind: "catalog path", name: "catalog put leaving the working directory", steps: `t("write", { catalog: new Catalog({ put: ["out/../../x.csv"] }) })`, expect: ['step "write"', "catalog.put[0]", '".."'] },
  { kind: "catalog path", name: "home-relative catalog path in a branch", steps: `new Parallel({ name: "par", branches: { a: t("w", { catalog: new Catalog({ put: ["~/.ssh/id_rsa"] }) }).asPipeline() } })`, expect: ['step "par.a.w"', "absolute"] },
  // parallel return clash
  { kind: "parallel return clash", name: "two branches return the same name", steps: `new Parallel({ name: "train", branches: { rf: t("a", { returns: ["score"] }).asPipeline(), xgb: t("b", { returns: ["score"] }).asPipeline() } })`, expect: ['step "train"', 'return "score"', 'branch "rf"', 'branch "xgb"'] },
  // empty
  { kind: "empty", name: "pipeline without steps", pipeline: `new Pipeline({ steps: [] })`, expect: ["pipeline has no steps"] },
  { kind: "empty", name: "Parallel without branches", steps: `new Parallel({ name: "par", branches: {} })`, expect: ['step "par"', "Parallel has no branches"] },
  { kind: "empty", name: "empty Parallel branch", steps: `new Parallel({ name: "par", branches: { a: new Pipeline({ steps: [] }) } })`, expect: ['step "par.a"', 'branch "a" has no steps'] },
  { kind: "empty", name: "Conditional without branches or default", steps: `new Conditional({ name: "pick", parameter: "items", branches: {} })`, expect: ['step "pick"', "no branches and no default"] },
  { kind: "empty", name: "empty shell command", steps: `new ShellTask({ name: "sh", command: "  " })`, expect: ['step "sh"', "command must be a non-empty string"] },
  // references to unknown parameters
  { kind: "unknown parameter", name: "Map over a parameter nothing provides", steps: `new Map({ name: "fan", iterateOn: "numbers", iterateAs: "n", branch: t("sq").asPipeline() })`, expect: ['step "fan"', 'iterateOn "numbers"', "not a parameter in scope"] },
  { kind: "unknown parameter", name: "Conditional on a parameter returned only later", steps: `new Conditional({ name: "pick", parameter: "grade", branches: { A: t("a").asPipeline() } }), t("grader", { returns: ["grade"] })`, expect: ['step "pick"', 'parameter "grade"', "not a parameter in scope"] },
  { kind: "invalid parameter name", name: "iterateAs that is not a parameter name", steps: `new Map({ name: "fan", iterateOn: "items", iterateAs: "the-item", branch: t("sq").asPipeline() })`, expect: ['step "fan"', 'iterateAs "the-item"'] },
  { kind: "invalid parameter name", name: "iterateAs equal to iterateOn", steps: `new Map({ name: "fan", iterateOn: "items", iterateAs: "items", branch: t("sq").asPipeline() })`, expect: ['step "fan"', "iterateAs must differ from iterateOn"] },
  // step options
  { kind: "bad options", name: "retry with zero attempts", steps: `t("flaky", { retry: { attempts: 0 } })`, expect: ['step "flaky"', "retry.attempts", "got 0"] },
  { kind: "bad options", name: "retry backoff below 1", steps: `t("flaky", { retry: { attempts: 3, backoffRate: 0.5 } })`, expect: ['step "flaky"', "retry.backoffRate", "got 0.5"] },
  { kind: "bad options", name: "negative timeout", steps: `t("slow", { timeoutSeconds: -5 })`, expect: ['step "slow"', "timeoutSeconds must be a positive integer", "got -5"] },
  { kind: "bad options", name: "unknown compute", steps: `t("gpu", { compute: "gpu" })`, expect: ['step "gpu"', 'compute must be "lambda" or "batch"', '"gpu"'] },
  { kind: "bad options", name: "too little memory", steps: `t("big", { resources: { memoryMiB: 64 } })`, expect: ['step "big"', "resources.memoryMiB", "got 64"] },
  { kind: "bad options", name: "Map concurrency above the inline limit", steps: `new Map({ name: "fan", iterateOn: "items", iterateAs: "n", maxConcurrency: 100, branch: t("sq").asPipeline() })`, expect: ['step "fan"', "maxConcurrency", "got 100"] },
  // unreachable steps
  { kind: "unreachable", name: "step after Fail", steps: `new Fail({ name: "stop" }), t("after")`, expect: ['step "after"', 'terminal step "stop"', "can never run"] },
  { kind: "unreachable", name: "step after Success in an onFailure pipeline", steps: `t("risky", { onFailure: new Pipeline({ steps: [new Success({ name: "ok" }), t("never")] }) })`, expect: ['step "risky.onFailure.never"', 'terminal step "ok"'] },
  // branch keys and branch values
  { kind: "bad branch", name: "branch key with a space", steps: `new Parallel({ name: "par", branches: { "a b": t("x").asPipeline() } })`, expect: ['step "par"', 'branch key "a b" is invalid'] },
  { kind: "bad branch", name: "Conditional key reserved for the default branch", steps: `new Conditional({ name: "pick", parameter: "items", branches: { default: t("x").asPipeline() } })`, expect: ['step "pick"', 'branch key "default"'] },
  { kind: "bad branch", name: "branch that is a step, not a Pipeline", steps: `new Parallel({ name: "par", branches: { a: t("x") } })`, expect: ['step "par.a"', "must be a Pipeline"] },
  { kind: "bad branch", name: "onFailure that is not a Pipeline", steps: `t("risky", { onFailure: t("recover") })`, expect: ['step "risky"', "onFailure must be a Pipeline"] },
  // several problems at once are reported together
  { kind: "several problems", name: "duplicate name and absolute path together", steps: `t("dup"), t("dup", { catalog: new Catalog({ put: ["/tmp/x"] }) })`, expect: ["2 problems", 'step "dup": step name "dup" is used twice', 'catalog.put[0] "/tmp/x"'] },
  // parameter flow: a name a step reads must be provided on every path before it
  { kind: "unprovided read", name: "function reads a parameter nobody gives", steps: `new FunctionTask({ name: "stats", function: ({ total }: { total: number }) => total * 2 })`, expect: ['step "stats"', 'reads "total", which nothing provides before it'] },
  { kind: "unprovided read", name: "member access on the argument", steps: `new FunctionTask({ name: "stats", function: (p: { total: number }) => p.total + 1 })`, expect: ['step "stats"', 'reads "total"'] },
  { kind: "unprovided read", name: "declared reads", steps: `new FunctionTask({ name: "stats", function: (p: unknown) => String(p), reads: ["model"] })`, expect: ['step "stats"', 'reads "model", which nothing provides before it'] },
  { kind: "unprovided read", name: "read inside a Map branch", steps: `new Map({ name: "fan", iterateOn: "items", iterateAs: "n", branch: new FunctionTask({ name: "sq", function: ({ n, factor }: { n: number; factor: number }) => n * factor }).asPipeline() })`, expect: ['step "fan.*.sq"', 'reads "factor"'] },
  { kind: "typo with suggestion", name: "a misspelt return name", steps: `new FunctionTask({ name: "count", function: ({ itmes }: { itmes: number[] }) => itmes.length })`, expect: ['step "count"', 'reads "itmes"', 'did you mean "items"?'] },
  { kind: "typo with suggestion", name: "a misspelt Map iterateOn", steps: `new Map({ name: "fan", iterateOn: "item", iterateAs: "n", branch: t("sq").asPipeline() })`, expect: ['step "fan"', 'iterateOn "item"', 'did you mean "items"?'] },
  { kind: "read before its step", name: "a name only a later step returns", steps: `new FunctionTask({ name: "report", function: ({ grade }: { grade: string }) => grade }), t("grader", { returns: ["grade"] })`, expect: ['step "report"', 'reads "grade"', 'only "grader" returns it'] },
  { kind: "provided on one branch only", name: "Conditional branches that do not all return a name", steps: `new Conditional({ name: "decide", parameter: "items", branches: { "1": t("high", { returns: ["label"] }).asPipeline(), "2": t("low").asPipeline() } }), new FunctionTask({ name: "report", function: ({ label }: { label: string }) => label })`, expect: ['step "report"', 'reads "label"', 'not provided when "decide" takes branch "2"'] },
  { kind: "provided on one branch only", name: "Conditional default branch without the name", steps: `new Conditional({ name: "decide", parameter: "items", branches: { "1": t("high", { returns: ["label"] }).asPipeline() }, default: t("other").asPipeline() }), new FunctionTask({ name: "report", function: ({ label }: { label: string }) => label })`, expect: ['step "report"', 'reads "label"', '"decide" takes its default branch'] },
  { kind: "provided on one branch only", name: "a recovered step inside a Parallel branch", steps: `new Parallel({ name: "train", branches: { a: t("fit", { returns: ["model"], onFailure: t("fallback").asPipeline() }).asPipeline() } }), new FunctionTask({ name: "use", function: ({ model }: { model: string }) => model })`, expect: ['step "use"', 'reads "model"', '"train.a.fit" fails and its onFailure pipeline runs instead'] },
  { kind: "onFailure scope", name: "onFailure pipeline reads what the failed step returns", steps: `t("train", { returns: ["model"], onFailure: new FunctionTask({ name: "alert", function: ({ model }: { model: string }) => model }).asPipeline() })`, expect: ['step "train.onFailure.alert"', 'reads "model"', 'only "train" returns it'] },
  { kind: "Map iterateAs shadowing", name: "iterateAs hides a returned name", steps: `t("pick", { returns: ["x"] }), new Map({ name: "fan", iterateOn: "items", iterateAs: "x", branch: t("sq").asPipeline() })`, expect: ['step "fan"', 'iterateAs "x" hides the parameter "x"', 'step "pick"'] },
  { kind: "Map iterateAs shadowing", name: "iterateAs hides a parameter", steps: `new Map({ name: "fan", iterateOn: "items", iterateAs: "seed", branch: t("sq").asPipeline() })`, args: ["--parameters", "p.yaml"], files: { "p.yaml": "seed: 7\n" }, expect: ['step "fan"', 'iterateAs "seed" hides the parameter "seed"', "provided by parameter"] },
  // strict returns, found in the function's source
  { kind: "undeclared return key", name: "a returned key returns does not declare", steps: `new FunctionTask({ name: "stats", function: ({ items }: { items: number[] }) => ({ values: items, count: items.length, label: "x" }), returns: ["values", "count"] })`, expect: ['step "stats"', 'undeclared "label"'] },
  { kind: "undeclared return key", name: "an object returned with no returns declared", steps: `new FunctionTask({ name: "stats", function: () => ({ mean: 1 }) })`, expect: ['step "stats"', "declares no returns", 'returns: ["mean"]'] },
  { kind: "undeclared return key", name: "a declared name the returned object lacks", steps: `new FunctionTask({ name: "stats", function: () => { return { mean: 1 }; }, returns: ["mean", "std"] })`, expect: ['step "stats"', 'missing "std"'] },
  { kind: "undeclared return key", name: "the ambiguous single return", steps: `new FunctionTask({ name: "train", function: async () => ({ model: "m", accuracy: 0.9 }), returns: ["model"] })`, expect: ['step "train"', 'ambiguous for the single return "model"'] },
  { kind: "bad reads", name: "reads entry that is not a parameter name", steps: `t("calc", { reads: ["bad-name"] })`, expect: ['step "calc"', 'reads[0] "bad-name"', "not a parameter name"] },
  // typed parameters: validated by the pipeline's schema before anything runs
  { kind: "bad schema value", name: "a value the schema refuses", pipeline: `new Pipeline({ parameters: z.object({ depth: z.coerce.number().int().min(1) }), steps: [first] })`, args: ["-p", "depth=0"], expect: ['parameter "depth" = 0', "Too small"] },
  { kind: "bad schema value", name: "text that is not a number", pipeline: `new Pipeline({ parameters: z.object({ depth: z.coerce.number() }), steps: [first] })`, args: ["-p", "depth=deep"], expect: ['parameter "depth" = "deep"', "expected number"] },
  { kind: "bad schema value", name: "a required parameter not given", pipeline: `new Pipeline({ parameters: z.object({ name: z.string() }), steps: [first] })`, expect: ['parameter "name" (not given)'] },
  { kind: "bad schema value", name: "an enum value from the parameters file", pipeline: `new Pipeline({ parameters: z.object({ mode: z.enum(["fast", "exact"]) }), steps: [first] })`, args: ["--parameters", "p.yaml"], files: { "p.yaml": "mode: slow\n" }, expect: ['parameter "mode" = "slow"', "expected one of"] },
  { kind: "bad schema value", name: "a schema that is not a Standard Schema", pipeline: `new Pipeline({ parameters: { depth: 1 } as never, steps: [first] })`, expect: ["Pipeline parameters must be a Standard Schema"] },
  { kind: "schema lacks a read", name: "a step reads a field the schema does not have", pipeline: `new Pipeline({ parameters: z.object({ depth: z.number().default(3) }), steps: [first, new FunctionTask({ name: "fit", function: ({ dept }: { dept: number }) => dept })] })`, expect: ['step "fit"', 'reads "dept"', 'did you mean "depth"?'] },
  // invalid input beside the definition
  { kind: "bad parameters", name: "parameters file that is not YAML", steps: `t("x")`, args: ["--parameters", "p.yaml"], files: { "p.yaml": "a: [1, 2\nb: }" }, expect: ["p.yaml"] },
  { kind: "bad parameters", name: "parameters file that is a list", steps: `t("x")`, args: ["--parameters", "p.yaml"], files: { "p.yaml": "- 1\n- 2\n" }, expect: ["p.yaml"] },
];

describe.concurrent("bad definitions are rejected before anything runs (exit 2)", () => {
  it.each(CASES.map((c) => [`${c.kind}: ${c.name}`, c] as const))("%s", async (_title, c) => {
    const { dir, cleanup } = tempDir("runnable-bad-");
    try {
      const body = c.pipeline ?? `new Pipeline({ steps: [first, ${c.steps}] })`;
      writePipeline(dir, "pipeline.ts", `${HEADER}\nexport default ${body};\n`);
      for (const [name, text] of Object.entries(c.files ?? {})) writeFileSync(join(dir, name), text);
      const r = await runCli(["run", "pipeline.ts", ...(c.args ?? [])], { cwd: dir });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.startsWith("error: "), r.stderr).toBe(true);
      for (const fragment of c.expect) expect(r.stderr).toContain(fragment);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace without --verbose
      expect(r.stdout).toBe("");
      expect(runsIn(dir)).toEqual([]);
      expect(existsSync(join(dir, "ran.txt"))).toBe(false);
    } finally {
      cleanup();
    }
  });

  it("covers at least 40 definitions across at least 15 kinds of mistake", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
    expect(new Set(CASES.map((c) => c.kind)).size).toBeGreaterThanOrEqual(15);
  });
});
