import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { validateAsl, type AslDefinition } from "../../src/compile/index.js";
import { REPO, runCli, writePipeline } from "../helpers/cli.js";

const ML = join(REPO, "examples", "ml-pipeline", "pipeline.ts");

describe("runnable cost", () => {
  it("prices a run with the durations and Map sizes of the last finished local run, or the ones given", async () => {
    const dir = mkdtempSync(join(tmpdir(), "runnable-cost-"));
    writePipeline(dir, "pipeline.ts", `import { FunctionTask, Map, Pipeline } from "runnable-ts";
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
export default new Pipeline({ name: "priced", steps: [
  new FunctionTask({ name: "list", function: () => [1, 2, 3, 4], returns: ["xs"] }),
  new Map({ name: "each", iterateOn: "xs", iterateAs: "x", branch: new FunctionTask({ name: "work", function: () => wait(300), resources: { memoryMiB: 2048 } }).asPipeline() }),
] });\n`);
    const before = await runCli(["cost", "pipeline.ts"], { cwd: dir });
    expect(before.code, before.stderr).toBe(0);
    expect(before.stdout).toContain("no finished local run of this pipeline: default durations");
    expect((await runCli(["run", "pipeline.ts"], { cwd: dir })).code).toBe(0);
    const measured = await runCli(["cost", "pipeline.ts", "--json"], { cwd: dir });
    const c = JSON.parse(measured.stdout) as { durationsFrom: string; steps: { path: string; runs: number; durationMs: number }[]; lambda: { requests: number } };
    expect(c.durationsFrom).toMatch(/\S/);
    const work = c.steps.find((s) => s.path === "each.*.work")!;
    expect(work.runs).toBe(4);
    expect(work.durationMs).toBeGreaterThanOrEqual(300);
    const scaled = await runCli(["cost", "pipeline.ts", "--items", "1000", "--duration-ms", "50", "--json"], { cwd: dir });
    expect((JSON.parse(scaled.stdout) as typeof c).steps.find((s) => s.path === "each.*.work")).toMatchObject({ runs: 1000, durationMs: 50 });
    const bad = await runCli(["cost", "pipeline.ts", "--items", "zero"], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--items");
  });
});

describe("runnable compile", () => {
  it("writes a valid definition with -o, the same bytes every time", async () => {
    const dir = mkdtempSync(join(tmpdir(), "runnable-compile-"));
    const first = await runCli(["compile", ML, "-o", join(dir, "a.json")], { cwd: dir });
    const second = await runCli(["compile", ML, "-o", join(dir, "b.json")], { cwd: dir });
    expect(first.code, first.stderr).toBe(0);
    expect(second.code).toBe(0);
    const text = readFileSync(join(dir, "a.json"), "utf8");
    expect(readFileSync(join(dir, "b.json"), "utf8")).toBe(text);
    expect(validateAsl(JSON.parse(text) as AslDefinition).isValid).toBe(true);
    expect(text).toBe(readFileSync(join(REPO, "test", "fixtures", "example-ml-pipeline.asl.json"), "utf8"));
  });

  it("prints the definition on stdout without -o, and the mapping and cost with --explain", async () => {
    const dir = mkdtempSync(join(tmpdir(), "runnable-compile-"));
    const plain = await runCli(["compile", ML], { cwd: dir });
    expect(JSON.parse(plain.stdout)).toMatchObject({ StartAt: "@run-start" });
    const explained = await runCli(["compile", ML, "--explain"], { cwd: dir });
    expect(explained.code).toBe(0);
    expect(explained.stdout).toMatch(/→ STANDARD workflow: \d+ states/);
    expect(explained.stdout).toMatch(/estimated per successful run: \d+ state transitions/);
    expect(explained.stdout).toMatch(/^@run-start\s+\(run\)\s+run-start$/m);
    expect(explained.stdout).toMatch(/^StepFunctionArn\s+1,024 MiB\s+900 s\s+arm64/m);
    expect(explained.stdout).toContain("estimated cost on AWS (us-east-1, prices of 2026-11-29): $0.000398 per run, $0.40 per 1,000 runs");
    const json = await runCli(["compile", ML, "--explain", "--json"], { cwd: dir });
    expect(JSON.parse(json.stdout)).toMatchObject({ pipeline: "ml-pipeline", cost: { region: "us-east-1", stateTransitions: { count: 10 } }, functions: { StepFunctionArn: { memoryMiB: 1024 } } });
  });

  it("exits 2 with the step named when a quota is violated", async () => {
    const dir = mkdtempSync(join(tmpdir(), "runnable-compile-"));
    const file = writePipeline(dir, "slow.ts", `import { Pipeline, FunctionTask, Map } from "runnable-ts";
export default new Pipeline({ name: "slow", steps: [
  new Map({ name: "fan", iterateOn: "xs", iterateAs: "x", branch: new FunctionTask({ name: "work", function: () => 1 }).asPipeline() }),
  new FunctionTask({ name: "train", function: () => 1, timeoutSeconds: 3600 }),
] });\n`);
    // The timeout is a definition problem (found when the pipeline is built, as for `run`); the Map's
    // size is a quota of the compiled machine, checked once the definition is valid.
    const run = await runCli(["compile", file, "--map-items", "fan=1000000"], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('step "train": timeoutSeconds 3600 exceeds Lambda\'s limit of 900 s');
    writePipeline(dir, "slow.ts", readFileSync(file, "utf8").replace("timeoutSeconds: 3600", "timeoutSeconds: 900"));
    const quota = await runCli(["compile", file, "--map-items", "fan=1000000"], { cwd: dir });
    expect(quota.code).toBe(2);
    expect(quota.stderr).toContain('step "fan": an inline Map of 1000000 items exceeds its limit');
    const bad = await runCli(["compile", file, "--map-items", "fan"], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--map-items");
  });
});
