// Rejected definitions, each run through the CLI as a user would: exit code 2, the message names
// the offending step and field, and nothing ran — no run directory, no file the first step writes.
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
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

const HEADER = `
import { writeFileSync } from "node:fs";
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

  it("covers at least 20 definitions across at least 8 kinds of mistake", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(20);
    expect(new Set(CASES.map((c) => c.kind)).size).toBeGreaterThanOrEqual(8);
  });
});
