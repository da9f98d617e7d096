import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readEventLog } from "../../src/emulate/event-log.js";
import { readRunLog } from "../../src/execute/index.js";
import { mapLimit } from "../../src/store/limit.js";
import type { RunLog } from "../../src/sdk/runlog.js";
import { BIN_ARGS, REPO, parseResult, runCli, tempDir } from "../helpers/cli.js";
import { pidAlive } from "../helpers/process.js";

/**
 * Interruption of a real `runnable run` process (test/fixtures/interrupt: 50 steps, functions and
 * shell commands alternating) at a step chosen per seed: SIGINT and SIGTERM end the run FAIL
 * `runnable.Interrupted` at once (exit 130/143) and stop the shell step's process group; after
 * SIGKILL the run is RUNNING and stale (its owner pid is gone), and `retry` takes it over and runs
 * exactly the steps that had not succeeded.
 */
const PIPELINE = join(REPO, "test", "fixtures", "interrupt", "pipeline.ts");
const STEPS = 50;
const name = (i: number) => `s${String(i).padStart(2, "0")}`;
const SEEDS = 10;

/** The step seed `seed` stops at (spread over the 50 steps, functions and shell commands alike). */
function stopAt(seed: number): number {
  return (seed * 17 + 3) % STEPS;
}

const dirs: Array<() => void> = [];
afterAll(() => dirs.forEach((cleanup) => cleanup()));

async function until(what: string, ok: () => boolean, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 3000; i++) {
    if (ok()) return;
    if (child.exitCode !== null) throw new Error(`the run exited (${child.exitCode}) before ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

interface Stopped {
  dir: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  runId: string;
  sleeper?: number;
}

/**
 * Starts `runnable run` on the fixture, waits until step `at` blocks (and `settled`, when given,
 * holds), sends `sig`, waits for the exit.
 */
async function runAndSignal(at: number, sig: NodeJS.Signals, args: string[] = [], settled?: (dir: string) => Promise<boolean>): Promise<Stopped> {
  const { dir, cleanup } = tempDir("runnable-interrupt-");
  dirs.push(cleanup);
  writeFileSync(join(dir, "stop-armed"), "");
  const env = { ...process.env, NO_COLOR: "1", RUNNABLE_PRM_stop_at: String(at), RUNNABLE_PRM_control: dir };
  const child = spawn(process.execPath, [...BIN_ARGS, "run", PIPELINE, ...args], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  child.stdout!.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  await until(`step ${name(at)} blocks`, () => existsSync(join(dir, "ready")) && (at % 2 === 0 || existsSync(join(dir, "sleeper.pid"))), child);
  const sleeper = at % 2 === 1 ? Number(readFileSync(join(dir, "sleeper.pid"), "utf8")) : undefined;
  for (let i = 0; settled && !(await settled(dir)); i++) {
    if (i === 300) throw new Error(`timed out waiting until the run settled at ${name(at)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill(sig);
  const { code, signal } = await exited;
  if (sleeper !== undefined && sig === "SIGKILL") {
    // The run's owner died without stopping it: clean up as the test's own business.
    try {
      process.kill(sleeper, "SIGKILL");
    } catch { /* gone */ }
  }
  const runId = /run (\d{8}-\d{6}-\d{3}-[0-9a-z]+)/.exec(stderr)?.[1] ?? "";
  return { dir, code, signal, stderr, runId, ...(sleeper !== undefined ? { sleeper } : {}) };
}

/** Whether the stored event log of the only emulator run under `dir` shows step `at - 1` exited. */
function exitedStored(at: number): (dir: string) => Promise<boolean> {
  return async (dir) => {
    const runs = join(dir, ".runnable", "s3", "runnable", "runs");
    const [runId] = existsSync(runs) ? readdirSync(runs) : [];
    if (runId === undefined) return false;
    const logs = await readEventLog(runId, { root: join(dir, ".runnable") }).catch(() => []);
    return logs.some((log) => log.events.some((e) => e.type === "StateExited" && e.state === name(at - 1)));
  };
}

/** The only run under `dir` (SIGKILL leaves no summary to read the id from). */
async function onlyRun(dir: string): Promise<RunLog> {
  const { readdirSync } = await import("node:fs");
  const local = join(dir, ".runnable", "runs");
  const ids = readdirSync(existsSync(local) ? local : join(dir, ".runnable", "s3", "runnable", "runs"));
  expect(ids).toHaveLength(1);
  return readRunLog(ids[0]!, { root: join(dir, ".runnable") });
}

function checkInterrupted(log: RunLog, at: number, sig: string): void {
  expect(log.status).toBe("FAIL");
  expect(log.error).toEqual({ name: "runnable.Interrupted", message: `the run was interrupted (${sig})` });
  expect(log.stale).toBeUndefined();
  // Every step before the stop succeeded once; the stopped one failed as interrupted; none after it started.
  for (let i = 0; i < at; i++) expect(log.steps[name(i)]?.status, name(i)).toBe("SUCCESS");
  const stopped = log.steps[name(at)]!;
  expect(stopped.attempts).toHaveLength(1);
  expect(stopped.attempts[0]!.error?.name).toBe("runnable.Interrupted");
  expect(Object.keys(log.steps)).toHaveLength(at + 1);
}

describe("an interrupted local run (a real process, real signals)", () => {
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    it(`${sig} at a step chosen by seed (${SEEDS} seeds): FAIL runnable.Interrupted at once, exit ${sig === "SIGINT" ? 130 : 143}, the shell step's process group stopped`, async () => {
      await mapLimit(Array.from({ length: SEEDS }, (_, s) => s), 4, async (seed) => {
        const at = stopAt(seed + (sig === "SIGTERM" ? SEEDS : 0));
        const run = await runAndSignal(at, sig);
        expect(run.code, run.stderr).toBe(sig === "SIGINT" ? 130 : 143);
        expect(run.stderr).toContain(`${sig} received: stopping the run`);
        checkInterrupted(await onlyRun(run.dir), at, sig);
        if (run.sleeper !== undefined) expect(pidAlive(run.sleeper), `sleep ${run.sleeper} of ${name(at)}`).toBe(false);
      });
    }, 240_000);
  }

  it(`SIGKILL at a step chosen by seed (${SEEDS} seeds): RUNNING and stale, then retry takes it over and runs exactly what had not succeeded`, async () => {
    await mapLimit(Array.from({ length: SEEDS }, (_, s) => s), 4, async (seed) => {
      const at = stopAt(seed + 2 * SEEDS);
      const run = await runAndSignal(at, "SIGKILL");
      expect(run.signal).toBe("SIGKILL");
      const killed = await onlyRun(run.dir);
      expect(killed.status).toBe("RUNNING");
      expect(killed.stale).toMatch(/^owner pid \d+ on host .+ is gone$/);
      const before = Object.fromEntries(Object.entries(killed.steps).map(([p, s]) => [p, s.attempts.length]));
      const retried = await runCli(["retry", killed.runId, "--json"], { cwd: run.dir });
      expect(retried.code, retried.stderr).toBe(0);
      const log = parseResult(retried).runLog;
      expect(log.status).toBe("SUCCESS");
      expect(log.executions?.map((e) => [e.id, e.status, e.error?.name])).toEqual([
        ["local", "FAIL", "runnable.Abandoned"], ["retry-1", "SUCCESS", undefined],
      ]);
      expect(log.executions?.[0]?.error?.message).toContain(killed.stale!);
      for (let i = 0; i < STEPS; i++) {
        const step = log.steps[name(i)]!;
        // Steps that had succeeded keep their one attempt; the others ran once, in the retry.
        expect(step.attempts.map((a) => a.status), name(i)).toEqual(["SUCCESS"]);
        if (before[name(i)] === undefined) expect(step.attempts[0]!.startedAt >= log.executions![1]!.startedAt, name(i)).toBe(true);
        else expect(step.attempts[0]!.startedAt < log.executions![1]!.startedAt, name(i)).toBe(true);
      }
      expect(Object.keys(before)).toHaveLength(at);
    });
  }, 240_000);

  it("logs and runs list show a stale run as such", async () => {
    const run = await runAndSignal(stopAt(3), "SIGKILL");
    const { runId } = await onlyRun(run.dir);
    const logs = await runCli(["logs", runId], { cwd: run.dir });
    expect(logs.stdout).toMatch(/status RUNNING \(stale: owner pid \d+ on host .+ is gone; `runnable retry` takes it over\)/);
    const list = await runCli(["runs", "list"], { cwd: run.dir });
    expect(list.stdout).toMatch(/RUNNING \(stale: owner pid \d+ on host .+ is gone\)/);
  }, 60_000);

  it("retry of a run whose owner is alive is refused with that reason; a second Ctrl-C exits at once", async () => {
    const { dir, cleanup } = tempDir("runnable-interrupt-");
    dirs.push(cleanup);
    writeFileSync(join(dir, "stop-armed"), "");
    const env = { ...process.env, NO_COLOR: "1", RUNNABLE_PRM_stop_at: "4", RUNNABLE_PRM_control: dir };
    const child = spawn(process.execPath, [...BIN_ARGS, "run", PIPELINE], { cwd: dir, env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    // The status a shell shows ($?): a process ended by the second SIGINT's default action (its
    // handlers already gone while it exits) is 130 there too.
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code, signal) => resolve(code ?? (signal === "SIGINT" ? 130 : null))));
    await until("step s04 blocks", () => existsSync(join(dir, "ready")), child);
    const { runId } = await onlyRun(dir);
    const refused = await runCli(["retry", runId], { cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`run ${runId} is still RUNNING: owner pid ${child.pid} on host `);
    expect(refused.stderr).toContain("is alive");
    expect(refused.stderr).toContain("--force");
    // Two signals sent back to back may reach the process as one (pending signals do not queue):
    // the second goes once the first was taken; the run may already be recorded by then.
    child.kill("SIGINT");
    await until("the first SIGINT is taken", () => stderr.includes("SIGINT received"), child).catch(() => undefined);
    if (child.exitCode === null) child.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(stderr).toMatch(/SIGINT again: exiting now|continue where it stopped/);
    // Whatever was recorded before the forced exit, the run never stays RUNNING with a live owner.
    const log = await onlyRun(dir);
    if (log.status === "RUNNING") expect(log.stale).toMatch(/is gone$/);
    else expect(log.status).toBe("FAIL");
  }, 60_000);
});

describe("an interrupted emulator run (handler processes get SIGTERM)", () => {
  // Emulator runs cost seconds each: one stop per signal (function and shell steps both covered).
  const cases = [{ sig: "SIGINT", at: 12 }, { sig: "SIGTERM", at: 31 }, { sig: "SIGKILL", at: 23 }] as const;

  it("SIGINT/SIGTERM: the running attempt and the run end FAIL runnable.Interrupted; SIGKILL: stale, retry completes it", async () => {
    await mapLimit(cases, 3, async ({ sig, at }) => {
      // SIGKILL keeps the event log as last written (at most EVENT_LOG_FLUSH_MS before the kill): it
      // lands once the stored log holds the steps before `at`, as a crash a while into a run would.
      const run = await runAndSignal(at, sig, ["--mode", "emulator"], sig === "SIGKILL" ? exitedStored(at) : undefined);
      const log = await onlyRun(run.dir);
      if (sig !== "SIGKILL") {
        expect(run.code, run.stderr).toBe(sig === "SIGINT" ? 130 : 143);
        checkInterrupted(log, at, sig);
        expect(log.steps[name(at)]!.attempts[0]!.error?.message).toContain("the handler process got SIGTERM");
        if (run.sleeper !== undefined) expect(pidAlive(run.sleeper), `sleep of ${name(at)}`).toBe(false);
        return;
      }
      expect(log.status).toBe("RUNNING");
      expect(log.stale).toMatch(/is gone$/);
      // The event log was written as the execution went: the kill kept what happened before it.
      const events = await runCli(["logs", log.runId, "--events"], { cwd: run.dir });
      const stored = JSON.parse(events.stdout) as Array<{ status: string; events: Array<{ type: string }> }>;
      expect(stored[0]!.status).toBe("RUNNING");
      expect(stored[0]!.events.filter((e) => e.type === "StateExited").length).toBeGreaterThan(0);
      const retried = await runCli(["retry", log.runId, "--json"], { cwd: run.dir });
      expect(retried.code, retried.stderr).toBe(0);
      const done = parseResult(retried).runLog;
      expect(done.executions?.map((e) => [e.status, e.error?.name])).toEqual([["FAIL", "runnable.Abandoned"], ["SUCCESS", undefined]]);
      for (let i = 0; i < STEPS; i++) expect(done.steps[name(i)]!.attempts.map((a) => a.status), name(i)).toEqual(["SUCCESS"]);
    });
  }, 240_000);
});

describe("judging a lease", () => {
  it("another host's owner is stale only after STALE_AFTER_MS without a heartbeat; no lease yet is 'starting'", async () => {
    const { judgeLease, STALE_AFTER_MS } = await import("../../src/store/lease.js");
    const now = Date.parse("2026-11-29T12:00:00Z");
    const lease = { v: 1 as const, execution: "local", owner: "x", host: "elsewhere.example", pid: 4242, startedAt: "2026-11-29T11:00:00Z", heartbeatAt: new Date(now - 5_000).toISOString() };
    expect(judgeLease(lease, lease.startedAt, now)).toEqual({ stale: false, reason: "owner pid 4242 on host elsewhere.example is alive (heartbeat 5 s ago)" });
    const silent = { ...lease, heartbeatAt: new Date(now - STALE_AFTER_MS - 60_000).toISOString() };
    expect(judgeLease(silent, lease.startedAt, now)).toEqual({ stale: true, reason: "no heartbeat for 3 min from owner pid 4242 on host elsewhere.example" });
    expect(judgeLease(undefined, new Date(now - 1_000).toISOString(), now).stale).toBe(false);
    expect(judgeLease(undefined, new Date(now - STALE_AFTER_MS - 1_000).toISOString(), now)).toEqual({ stale: true, reason: "no owner recorded, started 2 min ago" });
  });
});
