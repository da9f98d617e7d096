// The emulator as a user drives it: `runnable run … --mode emulator`, `runnable retry`, and
// `runnable logs --events`, each a fresh process that starts its own local S3 server over <root>/s3.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseResult, REPO, runCli, tempDir } from "../helpers/cli.js";
import type { StoredEventLog } from "../../src/emulate/index.js";

let work: ReturnType<typeof tempDir>;
beforeAll(() => {
  work = tempDir("runnable-emu-cli-");
});
afterAll(() => work.cleanup());

describe("runnable run --mode emulator", () => {
  it("runs the ML example end to end through the compiled state machine", async () => {
    const run = await runCli(["run", join(REPO, "examples", "ml-pipeline", "pipeline.ts"), "--mode", "emulator", "--run-id", "ml-emu", "--json"], { cwd: work.dir });
    expect(run.code, run.stderr).toBe(0);
    const result = parseResult(run);
    expect(result.status).toBe("SUCCESS");
    expect(Object.values(result.runLog.steps).every((s) => s.status === "SUCCESS")).toBe(true);
    expect(result.runLog.steps.generate_report?.catalog.map((c) => c.name)).toContain("ml_report.txt");
    // The run log is readable afterwards like any other, from the emulator's S3 store.
    const logs = await runCli(["logs", "ml-emu"], { cwd: work.dir });
    expect(logs.code, logs.stderr).toBe(0);
    expect(JSON.parse(logs.stdout)).toMatchObject({ runId: "ml-emu", status: "SUCCESS" });
  }, 120_000);

  it("a failed emulator run is finished by `runnable retry`, and `logs --events` shows both executions", async () => {
    const counter = tempDir("resumable-");
    const params = join(work.dir, "resumable.yaml");
    writeFileSync(params, `counter_dir: ${counter.dir}\n`);
    const pipeline = join(import.meta.dirname, "fixtures", "resumable.ts");
    const first = await runCli(["run", pipeline, "--mode", "emulator", "--run-id", "res-1", "--parameters", params], { cwd: work.dir });
    expect(first.code).toBe(1);
    writeFileSync(join(counter.dir, "fixed"), "");
    const retry = await runCli(["retry", "res-1", "--json"], { cwd: work.dir });
    expect(retry.code, retry.stderr).toBe(0);
    const result = parseResult(retry);
    expect(result.runLog.steps.once?.attempts).toHaveLength(1);
    expect(result.runLog.steps.gate?.attempts.map((a) => a.status)).toEqual(["FAIL", "SUCCESS"]);

    const events = await runCli(["logs", "res-1", "--events"], { cwd: work.dir });
    expect(events.code, events.stderr).toBe(0);
    const logs = JSON.parse(events.stdout) as StoredEventLog[];
    expect(logs.map((l) => [l.execution, l.status])).toEqual([["res-1", "FAILED"], ["retry-1", "SUCCEEDED"]]);
    expect(logs[0]!.events.find((e) => e.type === "StateFailed" && e.state === "gate")?.error).toBe("runnable.StepFailed");
    counter.cleanup();
  }, 120_000);

  it("`logs --events` of a local run says only emulator runs have an event log", async () => {
    const local = await runCli(["run", join(REPO, "examples", "conditional", "pipeline.ts"), "--run-id", "loc-1"], { cwd: work.dir });
    expect(local.code, local.stderr).toBe(0);
    const events = await runCli(["logs", "loc-1", "--events"], { cwd: work.dir });
    expect(events.code).toBe(2);
    expect(events.stderr).toContain('run "loc-1" has no execution event log');
    expect(events.stderr).toContain("only runs made with --mode emulator have one");
  }, 60_000);
});
