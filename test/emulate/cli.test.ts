// The emulator as a user drives it: `runnable run … --mode emulator`, `runnable retry`, and
// `runnable logs --events`, each a fresh process that starts its own local S3 server over <root>/s3.
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_HINT, parseResult, REPO, runCli, tempDir } from "../helpers/cli.js";
import type { StoredEventLog } from "../../src/emulate/index.js";
import { startS3rver } from "../helpers/s3rver.js";

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
    const logs = await runCli(["logs", "--json", "ml-emu"], { cwd: work.dir });
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

  it("a pipeline module that fails to import in the handler: the run's error is the module's own, not the Lambda envelope", async () => {
    const run = await runCli(["run", join(import.meta.dirname, "fixtures", "import-fails.ts"), "--mode", "emulator", "--run-id", "imp-1", "--json"], { cwd: work.dir });
    expect(run.code).toBe(1);
    const { runLog } = parseResult(run);
    expect(runLog.status).toBe("FAIL");
    expect(runLog.error).toEqual({ name: "Error", message: "config.json not found: the pipeline module cannot start" });
    const logs = await runCli(["logs", "imp-1"], { cwd: work.dir });
    expect(logs.stdout).toContain("config.json not found: the pipeline module cannot start");
  }, 60_000);

  it("`logs --events` of a local run says only emulator runs have an event log", async () => {
    const local = await runCli(["run", join(REPO, "examples", "conditional", "pipeline.ts"), "--run-id", "loc-1"], { cwd: work.dir });
    expect(local.code, local.stderr).toBe(0);
    const events = await runCli(["logs", "loc-1", "--events"], { cwd: work.dir });
    expect(events.code).toBe(2);
    expect(events.stderr).toContain('run "loc-1" has no execution event log');
    expect(events.stderr).toContain("only runs made with --mode emulator have one");
  }, 60_000);

  it("a failed run against a separate S3 endpoint is retried and read with --s3-endpoint/--bucket", async () => {
    const s3 = await startS3rver({ bucket: "own-runs" });
    const dir = tempDir("runnable-emu-s3-");
    const counter = tempDir("resumable-s3-");
    try {
      // s3rver checks signatures against its own keys: the developer's AWS keys must not be used.
      const env = { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER" };
      const params = join(dir.dir, "resumable.yaml");
      writeFileSync(params, `counter_dir: ${counter.dir}\n`);
      const at = ["--s3-endpoint", s3.endpoint, "--bucket", s3.bucket];
      const pipeline = join(import.meta.dirname, "fixtures", "resumable.ts");
      const first = await runCli(["run", pipeline, "--mode", "emulator", "--run-id", "s3-res", "--parameters", params, ...at], { cwd: dir.dir, env });
      expect(first.code, first.stderr).toBe(1);
      // The summary's hints name the endpoint, so they can be pasted as they are.
      expect(first.stderr).toContain(`${CLI_HINT} retry s3-res --s3-endpoint ${s3.endpoint} --bucket ${s3.bucket}`);
      expect(first.stderr).toContain(`${CLI_HINT} logs s3-res --s3-endpoint ${s3.endpoint} --bucket ${s3.bucket}`);
      // Nothing was written under the default root: the run lives on the endpoint only.
      expect(existsSync(join(dir.dir, ".runnable"))).toBe(false);
      const failed = await runCli(["logs", "--json", "s3-res", ...at], { cwd: dir.dir, env });
      expect(failed.code, failed.stderr).toBe(0);
      expect(JSON.parse(failed.stdout)).toMatchObject({ runId: "s3-res", status: "FAIL" });
      // Without the options the run is not found (exit 2, clear message), and nothing runs.
      const elsewhere = await runCli(["retry", "s3-res"], { cwd: dir.dir, env });
      expect(elsewhere.code).toBe(2);
      expect(elsewhere.stderr).toContain('run "s3-res" not found');

      writeFileSync(join(counter.dir, "fixed"), "");
      const retry = await runCli(["retry", "s3-res", "--json", ...at], { cwd: dir.dir, env });
      expect(retry.code, retry.stderr).toBe(0);
      const result = parseResult(retry);
      expect(result.status).toBe("SUCCESS");
      expect(result.runLog.steps.once?.attempts).toHaveLength(1);
      expect(result.runLog.steps.gate?.attempts.map((a) => a.status)).toEqual(["FAIL", "SUCCESS"]);
      const logs = await runCli(["logs", "--json", "s3-res", ...at], { cwd: dir.dir, env });
      expect(logs.code, logs.stderr).toBe(0);
      expect(JSON.parse(logs.stdout)).toMatchObject({ runId: "s3-res", status: "SUCCESS", finalParameters: { message: "answer 42" } });
      const events = await runCli(["logs", "s3-res", "--events", ...at], { cwd: dir.dir, env });
      expect((JSON.parse(events.stdout) as StoredEventLog[]).map((l) => [l.execution, l.status])).toEqual([["s3-res", "FAILED"], ["retry-1", "SUCCEEDED"]]);
      const unknown = await runCli(["logs", "no-such-run", ...at], { cwd: dir.dir, env });
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain('run "no-such-run" not found');
    } finally {
      counter.cleanup();
      dir.cleanup();
      await s3.stop();
    }
  }, 180_000);
});
