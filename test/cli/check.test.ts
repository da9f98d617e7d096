// `runnable check`, `run -p`, `run <file> --help` and the --json shapes, run as a user would.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { parseResult, runCli, runsIn, tempDir, writePipeline } from "../helpers/cli.js";

const ZOD = pathToFileURL(createRequire(import.meta.url).resolve("zod")).href;
const { dir, cleanup } = tempDir("runnable-check-");
afterAll(cleanup);

writePipeline(dir, "typed.ts", `
import { writeFileSync } from "node:fs";
import { z } from ${JSON.stringify(ZOD)};
import { FunctionTask, Pipeline } from "runnable-ts";
const parameters = z.object({
  max_depth: z.coerce.number().int().min(1).default(6).describe("depth of the trees"),
  name: z.string().describe("who to greet"),
  code: z.string().optional(),
});
export default new Pipeline({ parameters, steps: [
  new FunctionTask({ name: "greet", returns: ["greeting"], function: ({ name, max_depth, code = "none" }: { name: string; max_depth: number; code?: string }) => {
    writeFileSync("ran.txt", "ran");
    return \`\${name}/\${max_depth}/\${typeof max_depth}/\${code}\`;
  } }),
] });
`);
writePipeline(dir, "flow.ts", `
import { FunctionTask, Pipeline } from "runnable-ts";
export default new Pipeline({ steps: [
  new FunctionTask({ name: "load", function: ({ path }: { path: string }) => [path.length], returns: ["values"] }),
  new FunctionTask({ name: "stats", function: ({ valuse, scale = 1 }: { valuse: number[]; scale?: number }) => valuse.length * scale, returns: ["n"] }),
] });
`);
writePipeline(dir, "fails.ts", `
import { FunctionTask, Pipeline } from "runnable-ts";
export default new Pipeline({ steps: [
  new FunctionTask({ name: "boom", function: ({ n }: { n: number }) => { throw new RangeError("n is " + n); } }),
] });
`);

describe("runnable check", () => {
  it("prints what each step reads and who provides it, exit 0", async () => {
    const r = await runCli(["check", "typed.ts", "-p", "name=ann"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("pipeline typed; parameters: max_depth, name");
    expect(r.stdout).toMatch(/greet\s+name\s+parameter/);
    expect(r.stdout).toMatch(/greet\s+code\?\s+nobody \(the function can do without it\)/);
    expect(r.stdout).toContain("ok: every read is provided on every path");
    expect(existsSync(join(dir, "ran.txt"))).toBe(false);
    expect(runsIn(dir)).toEqual([]);
  });

  it("exits 2 naming the step, the parameter and the likely fix", async () => {
    const r = await runCli(["check", "flow.ts", "-p", "path=data.csv"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/stats\s+valuse\s+NOT PROVIDED: nothing provides before it \(did you mean "values"\?\)/);
    expect(r.stderr).toBe('error: step "stats": reads "valuse", which nothing provides before it (did you mean "values"?)\n');
  });

  it("--json: the report, with an error object when there are problems", async () => {
    const r = await runCli(["check", "flow.ts", "--json"], { cwd: dir });
    expect(r.code).toBe(2);
    const report = JSON.parse(r.stdout) as { reads: unknown[]; error: { code: string; problems: { path: string; code: string }[] } };
    expect(report.reads).toContainEqual({ step: "load", name: "path", via: "function", optional: false, providedBy: null, problem: expect.stringContaining('reads "path"') });
    expect(report.error.code).toBe("invalid-pipeline");
    expect(report.error.problems.map((p) => [p.path, p.code])).toEqual([["load", "unprovided-read"], ["stats", "unprovided-read"]]);
  });

  it("checks the parameters against the schema", async () => {
    const r = await runCli(["check", "typed.ts", "-p", "max_depth=0"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('parameter "max_depth" = 0: Too small: expected number to be >=1');
    expect(r.stderr).toContain('parameter "name" (not given)');
  });
});

describe("runnable run with typed parameters", () => {
  it("--help with a file lists the parameters: types, defaults, descriptions; nothing runs", async () => {
    const r = await runCli(["run", "typed.ts", "--help"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("Usage: runnable run [options] [file]");
    expect(r.stdout).toContain('Parameters of typed.ts (pipeline "typed"), from its zod schema:');
    expect(r.stdout).toMatch(/max_depth\s+integer\s+6\s+depth of the trees/);
    expect(r.stdout).toMatch(/name\s+string\s+\(required\)\s+who to greet/);
    expect(r.stdout).toMatch(/code\s+string\s+\(optional\)/);
    expect(existsSync(join(dir, "ran.txt"))).toBe(false);
  });

  it("--help without a schema lists the inputs the steps read", async () => {
    const r = await runCli(["run", "flow.ts", "--help"], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("inferred from what its steps read (no parameters schema)");
    expect(r.stdout).toMatch(/path\s+\(required\)\s+load/);
    expect(r.stdout).toMatch(/scale\s+\(optional\)\s+stats/);
  });

  it("-p values are coerced per the schema, defaults applied, recorded as the run's parameters", async () => {
    const r = await runCli(["run", "typed.ts", "-p", "name=ann", "-p", "code=007", "--json"], { cwd: dir, env: { RUNNABLE_PRM_max_depth: "3" } });
    expect(r.code, r.stderr).toBe(0);
    const result = parseResult(r);
    expect(result.runLog.parameters).toEqual({ name: "ann", code: "007", max_depth: 3 });
    expect(result.finalParameters.greeting).toBe("ann/3/number/007");
  });

  it("a bad value exits 2 before anything runs; --json puts the error on stdout", async () => {
    const { dir: own, cleanup: done } = tempDir("runnable-check-bad-");
    try {
      writePipeline(own, "typed.ts", `export { default } from ${JSON.stringify(pathToFileURL(join(dir, "typed.ts")).href)};\n`);
      const r = await runCli(["run", "typed.ts", "-p", "name=ann", "-p", "max_depth=abc", "--json"], { cwd: own });
      expect(r.code).toBe(2);
      expect(JSON.parse(r.stdout)).toEqual({ error: {
        code: "invalid-parameters",
        message: 'parameter "max_depth" = "abc": Invalid input: expected number, received NaN',
        problems: [{ path: "", code: "invalid-parameter", message: 'parameter "max_depth" = "abc": Invalid input: expected number, received NaN' }],
      } });
      expect(r.stderr).toBe('error: parameter "max_depth" = "abc": Invalid input: expected number, received NaN\n');
      expect(runsIn(own)).toEqual([]);
      expect(existsSync(join(own, "ran.txt"))).toBe(false);
    } finally {
      done();
    }
  });

  it("a malformed -p is refused", async () => {
    const r = await runCli(["run", "typed.ts", "-p", "max-depth=3"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('-p "max-depth=3": expected name=value');
  });

  it("--json of a failed run has a top-level error naming the step", async () => {
    const r = await runCli(["run", "fails.ts", "-p", "n=4", "--json"], { cwd: dir });
    expect(r.code).toBe(1);
    const result = parseResult(r) as ReturnType<typeof parseResult> & { error: unknown };
    expect(result.error).toEqual({ step: "boom", name: "RangeError", message: "n is 4" });
    expect(result.parameters).toEqual({ n: 4 });
  });
});
