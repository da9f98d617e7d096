import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { validateAsl, type AslDefinition } from "../../src/compile/index.js";
import { REPO, runCli, writePipeline } from "../helpers/cli.js";

const ML = join(REPO, "examples", "ml-pipeline", "pipeline.ts");

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
