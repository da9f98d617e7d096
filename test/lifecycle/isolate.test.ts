import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO, parseResult, runCli, tempDir } from "../helpers/cli.js";

/**
 * `--isolate`: concurrent runs in one directory each see only their own files (every step attempt
 * works in a private directory, files move through the catalog); without it, a run warns when
 * another live run works in the same directory.
 */
const PIPELINE = join(REPO, "test", "fixtures", "isolate", "pipeline.ts");
const dirs: Array<() => void> = [];
afterAll(() => dirs.forEach((cleanup) => cleanup()));

describe("isolate", () => {
  it("10 concurrent --isolate runs in one directory: each records its own file, and the working directory stays clean", async () => {
    const { dir, cleanup } = tempDir("runnable-isolate-");
    dirs.push(cleanup);
    const runs = await Promise.all(Array.from({ length: 10 }, (_, i) =>
      runCli(["run", PIPELINE, "--isolate", "--json"], { cwd: dir, env: { RUNNABLE_PRM_who: `run-${i}` } })));
    runs.forEach((run, i) => {
      expect(run.code, run.stderr).toBe(0);
      const { runLog } = parseResult(run);
      expect(runLog.steps.read!.attempts[0]!.outputParameters).toEqual({ seen: `run-${i}`, files: "copy.txt" });
      // What the catalog holds for this run is this run's file.
      expect(runLog.steps.write!.catalog.find((c) => c.name === "data.txt")?.size).toBe(`run-${i}`.length);
      expect(run.stderr).not.toContain("another run works");
    });
    expect(readdirSync(dir).sort()).toEqual([".runnable"]);
    // Every attempt's private directory is gone once its run ended.
    expect(readdirSync(join(dir, ".runnable", "work"))).toEqual([]);
  }, 120_000);

  it("an isolated step sees only the files the catalog gave it; without isolation it sees the whole directory", async () => {
    const { dir, cleanup } = tempDir("runnable-isolate-");
    dirs.push(cleanup);
    const { writeFileSync } = await import("node:fs");
    // A file lying in the directory: an isolated step sees only what the catalog gave it.
    writeFileSync(join(dir, "stale.txt"), "stale");
    const run = await runCli(["run", PIPELINE, "--isolate", "--json"], { cwd: dir, env: { RUNNABLE_PRM_who: "fresh" } });
    expect(run.code, run.stderr).toBe(0);
    expect(parseResult(run).runLog.steps.read!.attempts[0]!.outputParameters).toEqual({ seen: "fresh", files: "copy.txt" });
    // Without isolation the same step works in the directory itself and sees everything there.
    const shared = await runCli(["run", PIPELINE, "--json"], { cwd: dir, env: { RUNNABLE_PRM_who: "fresh" } });
    expect(String(parseResult(shared).runLog.steps.read!.attempts[0]!.outputParameters.files).split(",")).toEqual(expect.arrayContaining(["data.txt", "stale.txt"]));
  }, 60_000);

  it("a run without isolation warns when another live run works in the same directory", async () => {
    const { dir, cleanup } = tempDir("runnable-isolate-");
    dirs.push(cleanup);
    const { spawn } = await import("node:child_process");
    const { BIN_ARGS } = await import("../helpers/cli.js");
    const { writeFileSync } = await import("node:fs");
    writeFileSync(join(dir, "stop-armed"), "");
    const blocker = spawn(process.execPath, [...BIN_ARGS, "run", join(REPO, "test", "fixtures", "interrupt", "pipeline.ts")], {
      cwd: dir, env: { ...process.env, RUNNABLE_PRM_stop_at: "0", RUNNABLE_PRM_control: dir }, stdio: "ignore",
    });
    const exited = new Promise((resolve) => blocker.on("exit", resolve));
    try {
      for (let i = 0; i < 3000 && !existsSync(join(dir, "ready")); i++) await new Promise((r) => setTimeout(r, 20));
      const run = await runCli(["run", PIPELINE], { cwd: dir, env: { RUNNABLE_PRM_who: "second" } });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toMatch(new RegExp(`warning: another run works in .*\\(\\d{8}-\\S+, pid ${blocker.pid}\\): steps of both runs see and may overwrite each other's files\\. Use --isolate`));
    } finally {
      blocker.kill("SIGINT");
      await exited;
    }
  }, 60_000);
});
