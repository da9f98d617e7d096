// One-task jobs and --mock through the CLI, as a user runs them.
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseResult, runCli, runsIn, tempDir, writePipeline } from "../helpers/cli.js";

const { dir, cleanup } = tempDir("runnable-jobs-");
afterAll(cleanup);

writePipeline(dir, "jobs.ts", `
import { existsSync } from "node:fs";
import { FunctionTask, ShellTask } from "runnable-ts";
export function train({ depth = 3 }: { depth?: number }) { return { accuracy: depth / 10, model: "tree-" + depth }; }
export const count = ({ text }: { text: string }) => text.split(" ").length;
export const loud = new ShellTask({ name: "loud", command: 'echo "upper=$(echo "$text" | tr a-z A-Z)" >> "$RUNNABLE_OUTPUT"', returns: ["upper"] });
export function flaky({ n }: { n: number }) { if (!existsSync("fixed.txt")) throw new Error("not yet"); return n * 2; }
export default new FunctionTask({ name: "hello", function: () => "hi", returns: ["greeting"] });
`);
writePipeline(dir, "pipeline.ts", `
import { writeFileSync } from "node:fs";
import { FunctionTask, Pipeline } from "runnable-ts";
export default new Pipeline({ steps: [
  new FunctionTask({ name: "download", function: () => { writeFileSync("downloaded.txt", "x"); return [1, 2]; }, returns: ["rows"] }),
  new FunctionTask({ name: "summarise", function: ({ rows }: { rows: number[] }) => rows.length, returns: ["n"] }),
] });
`);
writePipeline(dir, "fakes.ts", `export const download = () => [7, 8, 9];\n`);
writeFileSync(join(dir, "rows.json"), "[4, 5]\n");

describe("one-task jobs", () => {
  it("file.ts:function runs that function as a one-step pipeline; an object literal's keys become its returns", async () => {
    const r = await runCli(["run", "jobs.ts:train", "-p", "depth=7", "--json"], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const result = parseResult(r);
    expect(result.runLog.pipeline).toBe("train");
    expect(Object.keys(result.runLog.steps)).toEqual(["train"]);
    expect(result.finalParameters).toEqual({ depth: 7, accuracy: 0.7, model: "tree-7" });
  });

  it("a function returning something else binds it to its own name; a ShellTask export and a default-exported task run too", async () => {
    const [count, loud, hello] = await Promise.all([
      runCli(["run", "jobs.ts:count", "-p", "text=a b c", "--json"], { cwd: dir }),
      runCli(["run", "jobs.ts:loud", "-p", "text=abc", "--json"], { cwd: dir }),
      runCli(["run", "jobs.ts", "--json"], { cwd: dir }),
    ]);
    expect(parseResult(count).finalParameters).toEqual({ text: "a b c", count: 3 });
    expect(parseResult(loud).finalParameters).toEqual({ text: "abc", upper: "ABC" });
    expect(parseResult(hello).finalParameters).toEqual({ greeting: "hi" });
    expect(parseResult(hello).runLog.pipeline).toBe("jobs");
  });

  it("a failed job is retried by `runnable retry`, which loads the same export", async () => {
    const first = await runCli(["run", "jobs.ts:flaky", "-p", "n=4", "--run-id", "flaky-1"], { cwd: dir });
    expect(first.code).toBe(1);
    writeFileSync(join(dir, "fixed.txt"), "");
    const retry = await runCli(["retry", "flaky-1", "--json"], { cwd: dir });
    expect(retry.code, retry.stderr).toBe(0);
    expect(parseResult(retry).finalParameters).toEqual({ n: 4, flaky: 8 });
  });

  it("an unknown export exits 2 with a suggestion", async () => {
    const r = await runCli(["run", "jobs.ts:trian"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/jobs\.ts has no export "trian" \(did you mean "train"\?\)/);
  });
});

describe("--mock", () => {
  it("runs a module's function or a JSON file's content instead of the step, marked in the run log", async () => {
    const [fn, json] = await Promise.all([
      runCli(["run", "pipeline.ts", "--mock", "download=fakes.ts:download", "--json", "--root", ".mock1"], { cwd: dir }),
      runCli(["run", "pipeline.ts", "--mock", "download=rows.json", "--json", "--root", ".mock2"], { cwd: dir }),
    ]);
    expect(fn.code, fn.stderr).toBe(0);
    expect(parseResult(fn).finalParameters).toEqual({ rows: [7, 8, 9], n: 3 });
    expect(parseResult(fn).runLog.steps.download!.attempts[0]!.mocked).toBe(true);
    expect(parseResult(json).finalParameters).toEqual({ rows: [4, 5], n: 2 });
    expect(existsSync(join(dir, "downloaded.txt"))).toBe(false);
  });

  it("an unknown step exits 2 before anything runs", async () => {
    const r = await runCli(["run", "pipeline.ts", "--mock", "donwload=fakes.ts:download", "--root", ".mock3"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('mock "donwload": no FunctionTask, ShellTask or NotebookTask has that step path or name (did you mean "download"?)');
    expect(runsIn(dir, ".mock3")).toEqual([]);
  });
});
