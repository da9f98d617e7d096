// The CLI's arguments, loading, output channels and exit codes, checked by spawning `runnable`
// in temp working directories as a user would.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_HINT, parseResult, REPO, runCli, runsIn, tempDir, writePipeline } from "../helpers/cli.js";

let work: ReturnType<typeof tempDir>;
beforeAll(() => {
  work = tempDir("runnable-cli-");
});
afterAll(() => work.cleanup());

const TWO_STEPS = `
import { FunctionTask, Pipeline } from "runnable-ts";
export default new Pipeline({ steps: [
  new FunctionTask({ name: "first", function: ({ x }: { x: number }) => { console.log("hello from first"); return x + 1; }, returns: ["y"] }),
  new FunctionTask({ name: "second", function: ({ y }: { y: number }) => y * 10, returns: ["z"] }),
] });
`;

describe("arguments and usage errors exit 2", () => {
  it("--help lists every command and exits 0", async () => {
    const r = await runCli(["--help"], { cwd: work.dir });
    expect(r.code).toBe(0);
    for (const c of ["run", "logs", "retry", "graph"]) expect(r.stdout).toContain(c);
    const version = await runCli(["--version"], { cwd: work.dir });
    expect(version.code).toBe(0);
    expect(version.stdout).toBe(`${(JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { version: string }).version}\n`);
  });

  it("an unknown command or option, a bad --mode or a missing argument exits 2 with one message", async () => {
    const file = writePipeline(work.dir, "ok.ts", TWO_STEPS);
    const [cmd, opt, mode, missing] = await Promise.all([
      runCli(["frobnicate"], { cwd: work.dir }),
      runCli(["run", file, "--no-such-flag"], { cwd: work.dir }),
      runCli(["run", file, "--mode", "cloud"], { cwd: work.dir }),
      runCli(["run"], { cwd: work.dir }),
    ]);
    expect([cmd.code, opt.code, mode.code, missing.code]).toEqual([2, 2, 2, 2]);
    expect(cmd.stderr).toContain("unknown command 'frobnicate'");
    expect(opt.stderr).toContain("unknown option '--no-such-flag'");
    expect(mode.stderr).toMatch(/cloud.*local, emulator/s);
    expect(missing.stderr).toContain("missing required argument 'file'");
    expect(runsIn(work.dir)).toEqual([]);
  });

  it("a missing pipeline file, a file without a default Pipeline, or a file that throws on load exit 2", async () => {
    writePipeline(work.dir, "nodefault.ts", `export const x = 1;\n`);
    writePipeline(work.dir, "throws.ts", `throw new Error("database password missing");\nexport default 1;\n`);
    const [missing, nodefault, throws, verbose] = await Promise.all([
      runCli(["run", "nope.ts"], { cwd: work.dir }),
      runCli(["run", "nodefault.ts"], { cwd: work.dir }),
      runCli(["run", "throws.ts"], { cwd: work.dir }),
      runCli(["run", "throws.ts", "--verbose"], { cwd: work.dir }),
    ]);
    expect([missing.code, nodefault.code, throws.code, verbose.code]).toEqual([2, 2, 2, 2]);
    expect(missing.stderr).toBe("error: pipeline file nope.ts does not exist\n");
    expect(nodefault.stderr).toContain("nodefault.ts has no default export Pipeline");
    // One line without --verbose; the stack (of the cause) with it.
    expect(throws.stderr).toBe("error: cannot load throws.ts: database password missing\n");
    expect(verbose.stderr).toContain("caused by Error: database password missing");
    expect(verbose.stderr).toMatch(/\n\s+at .*throws\.ts/);
    expect(runsIn(work.dir)).toEqual([]);
  });

  it("an invalid --run-id or --max-concurrency, a missing --parameters file or S3 flags without emulator mode are refused before anything runs", async () => {
    const file = writePipeline(work.dir, "ok.ts", TWO_STEPS);
    const [badId, noParams, s3, concurrency] = await Promise.all([
      runCli(["run", file, "--run-id", "has space"], { cwd: work.dir }),
      runCli(["run", file, "--parameters", "missing.yaml"], { cwd: work.dir }),
      runCli(["run", file, "--s3-endpoint", "http://127.0.0.1:9"], { cwd: work.dir }),
      runCli(["run", file, "--max-concurrency", "0"], { cwd: work.dir }),
    ]);
    expect(concurrency.code).toBe(2);
    expect(concurrency.stderr).toBe("error: --max-concurrency must be a positive integer, got 0\n");
    expect(s3.code).toBe(2);
    expect(s3.stderr).toBe("error: --s3-endpoint and --bucket only apply with --mode emulator\n");
    expect(badId.code).toBe(2);
    expect(badId.stderr).toContain('--run-id "has space" is invalid');
    expect(noParams.code).toBe(2);
    expect(noParams.stderr).toContain("--parameters: file missing.yaml does not exist");
    expect(runsIn(work.dir)).toEqual([]);
  });
});

describe("running", () => {
  it("--json puts only the RunResult on stdout; what steps print and the progress go to stderr", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = writePipeline(dir, "flow.ts", TWO_STEPS);
      writeFileSync(join(dir, "p.yaml"), "x: 4\n");
      const r = await runCli(["run", file, "--parameters", "p.yaml", "--json", "--tag", "nightly", "--max-concurrency", "2"], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      const result = parseResult(r);
      expect(result.status).toBe("SUCCESS");
      expect(result.parameters).toMatchObject({ x: 4, y: 5, z: 50 });
      expect(result.runLog.tag).toBe("nightly");
      expect(result.runLog.pipeline).toBe("flow"); // the file's base name: the Pipeline has no name
      expect(r.stderr).toContain("hello from first");
      // One plain progress line per step (stderr is not a TTY here), then the summary.
      expect(r.stderr).toMatch(/SUCCESS\s+first/);
      expect(r.stderr).toMatch(/SUCCESS\s+second/);
      expect(r.stderr).toContain(`run ${result.runId}`);
      expect(r.stderr).toContain("steps: 2 succeeded, 0 failed");
      expect(r.stderr).toContain(`${CLI_HINT} logs ${result.runId}`);
    } finally {
      cleanup();
    }
  });

  it("takes parameters.yaml beside a pipeline.ts by default, --parameters overrides it, and names the run after the folder", async () => {
    const { dir, cleanup } = tempDir();
    try {
      mkdirSync(join(dir, "my-flow"));
      writePipeline(join(dir, "my-flow"), "pipeline.ts", `
import { Pipeline, FunctionTask } from "runnable-ts";
export default async () => new Pipeline({ steps: [new FunctionTask({ name: "echo", function: ({ x }: { x: number }) => x, returns: ["out"] })] });
`);
      writeFileSync(join(dir, "my-flow", "parameters.yaml"), "x: 1\n");
      writeFileSync(join(dir, "other.yaml"), "x: 2\n");
      const [beside, explicit] = await Promise.all([
        runCli(["run", "my-flow/pipeline.ts", "--json", "--root", "store-a"], { cwd: dir }),
        runCli(["run", "my-flow/pipeline.ts", "--json", "--root", "store-b", "--parameters", "other.yaml"], { cwd: dir }),
      ]);
      expect(beside.code, beside.stderr).toBe(0);
      expect(parseResult(beside).runLog.parameters).toEqual({ x: 1 });
      expect(parseResult(beside).runLog.pipeline).toBe("my-flow");
      expect(parseResult(explicit).runLog.parameters).toEqual({ x: 2 });
      expect(runsIn(dir, "store-a")).toHaveLength(1);
      expect(runsIn(dir, "store-b")).toHaveLength(1);
      expect(runsIn(dir)).toEqual([]);
    } finally {
      cleanup();
    }
  });
});

describe("graph", () => {
  it("prints the ML pipeline as a Mermaid flowchart with the Parallel branches as subgraphs", async () => {
    const r = await runCli(["graph", join(REPO, "examples", "ml-pipeline", "pipeline.ts")], { cwd: work.dir });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe("flowchart TD");
    expect(r.stdout).toContain('subgraph n_train_models_random_forest["random_forest"]');
    expect(r.stdout).toContain('subgraph n_train_models_xgboost["xgboost"]');
    expect(r.stdout).toContain('n_train_models -->|random_forest| n_train_models_random_forest_train_rf');
    expect(r.stdout).toContain("n_data_preparation --> n_train_models");
    expect(r.stdout).toContain("n_train_models_join --> n_select_best_model");
    expect(r.stdout).toContain("n_generate_report --> end_");
    expect(runsIn(work.dir)).toEqual([]);
  });
});
