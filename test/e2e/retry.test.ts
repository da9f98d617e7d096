// `runnable run` failing, `runnable retry` finishing it after the cause is fixed, and `retry`
// refusing a pipeline whose graph changed — all through the CLI, in a fresh working directory.
import { readFileSync, writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RunLog } from "../../src/sdk/runlog.js";
import { CLI_HINT, parseResult, runCli, runsIn, statuses, tempDir, writePipeline } from "../helpers/cli.js";

// load → check (needs input.txt to say "good") → finish. `load` counts its calls in calls.txt so the
// test can see it is not re-run by the retry.
const PIPELINE = `
import { appendFileSync, readFileSync } from "node:fs";
import { FunctionTask, Pipeline } from "runnable-ts";

export default new Pipeline({
  steps: [
    new FunctionTask({ name: "load", function: () => { appendFileSync("calls.txt", "load\\n"); return 21; }, returns: ["n"] }),
    new FunctionTask({
      name: "check",
      function: ({ n }: { n: number }) => {
        const input = readFileSync("input.txt", "utf8").trim();
        if (input !== "good") throw new Error("input.txt says " + input);
        return n * 2;
      },
      returns: ["doubled"],
    }),
    new FunctionTask({ name: "finish", function: ({ doubled }: { doubled: number }) => "answer " + doubled, returns: ["answer"] }),
  ],
});
`;

let work: ReturnType<typeof tempDir>;
let file: string;
beforeEach(() => {
  work = tempDir("runnable-retry-");
  file = writePipeline(work.dir, "pipeline.ts", PIPELINE);
  writeFileSync(join(work.dir, "input.txt"), "bad\n");
});
afterEach(() => work.cleanup());

describe("run failure, logs and retry through the CLI", () => {
  it("a failed run exits 1 with a retry hint; after fixing the input, retry re-runs only what failed", async () => {
    const first = await runCli(["run", file, "--run-id", "r1", "--json"], { cwd: work.dir });
    expect(first.code).toBe(1);
    const failed = parseResult(first);
    expect(failed.status).toBe("FAIL");
    expect(statuses(failed.runLog)).toEqual({ load: "SUCCESS", check: "FAIL" });
    expect(failed.runLog.steps.check!.attempts[0]!.error?.message).toContain("input.txt says bad");
    expect(first.stderr).toContain(`${CLI_HINT} retry r1`);
    expect(first.stderr).toContain("check");

    const logs = await runCli(["logs", "--json", "r1"], { cwd: work.dir });
    expect(logs.code).toBe(0);
    expect((JSON.parse(logs.stdout) as RunLog).status).toBe("FAIL");

    writeFileSync(join(work.dir, "input.txt"), "good\n");
    const retry = await runCli(["retry", "r1", "--json"], { cwd: work.dir });
    expect(retry.code, retry.stderr).toBe(0);
    const done = parseResult(retry);
    expect(done.runId).toBe("r1");
    expect(done.status).toBe("SUCCESS");
    expect(retry.stderr).toMatch(/SKIPPED load\s+\(succeeded before\)/);
    expect(retry.stderr).toMatch(/SUCCESS check .*\(attempt 2\)/);
    expect(statuses(done.runLog)).toEqual({ load: "SUCCESS", check: "SUCCESS", finish: "SUCCESS" });
    // check's attempts are numbered on; load ran once in all.
    expect(done.runLog.steps.check!.attempts.map((a) => [a.attempt, a.status])).toEqual([[1, "FAIL"], [2, "SUCCESS"]]);
    expect(readFileSync(join(work.dir, "calls.txt"), "utf8")).toBe("load\n");
    expect(done.runLog.finalParameters).toMatchObject({ n: 21, doubled: 42, answer: "answer 42" });

    const after = JSON.parse((await runCli(["logs", "--json", "r1"], { cwd: work.dir })).stdout) as RunLog;
    expect(after.status).toBe("SUCCESS");
  });

  it("a retried run shows each execution's own duration and the wall time apart (summary and logs)", async () => {
    expect((await runCli(["run", file, "--run-id", "r2"], { cwd: work.dir })).code).toBe(1);
    // The user takes a while to fix the cause: that wait is wall time, not the retry's own duration.
    await sleep(1500);
    writeFileSync(join(work.dir, "input.txt"), "good\n");
    const retry = await runCli(["retry", "r2"], { cwd: work.dir });
    expect(retry.code, retry.stderr).toBe(0);
    const ms = (d: string) => (d.endsWith(" ms") ? Number(d.slice(0, -3)) : Number(d.slice(0, -2)) * 1000);
    const head = /^SUCCESS {2}run r2 {2}\(pipeline \S+, (\d+(?:\.\d+)? m?s) this execution\)$/m.exec(retry.stderr);
    expect(head, retry.stderr).not.toBeNull();
    const line = /^executions: local (\S+ m?s) FAIL, retry-1 (\S+ m?s) SUCCESS; wall time (\S+ m?s) since the run started$/m.exec(retry.stderr);
    expect(line, retry.stderr).not.toBeNull();
    const [, local, own, wall] = line!;
    expect(own).toBe(head![1]);
    // The wall time holds the 1.5 s wait; neither execution's own duration does.
    expect(ms(wall!)).toBeGreaterThanOrEqual(ms(own!) + ms(local!) + 1500 - 20);

    const logs = await runCli(["logs", "r2"], { cwd: work.dir });
    expect(logs.code).toBe(0);
    expect(logs.stdout).toMatch(/wall time \d+(\.\d+)? s \(first start to last end, 2 executions\)/);
    expect(logs.stdout).toMatch(new RegExp(`^executions local ${local} FAIL, retry-1 ${own} SUCCESS$`, "m"));
    // A run with one execution keeps its plain duration.
    const once = await runCli(["run", file, "--run-id", "r3"], { cwd: work.dir });
    expect(once.stderr).toMatch(/^SUCCESS {2}run r3 {2}\(pipeline \S+, \d+(\.\d+)? m?s\)$/m);
    expect(once.stderr).not.toContain("executions:");
    expect((await runCli(["logs", "r3"], { cwd: work.dir })).stdout).toMatch(/status SUCCESS {3}duration /);
  }, 120_000);

  it("retry refuses when the pipeline's graph changed since the run (exit 2, nothing re-run)", async () => {
    const first = await runCli(["run", file, "--run-id", "r2"], { cwd: work.dir });
    expect(first.code).toBe(1);
    writeFileSync(file, readFileSync(file, "utf8").replace('name: "finish"', 'name: "finish_renamed"'));
    writeFileSync(join(work.dir, "input.txt"), "good\n");
    const retry = await runCli(["retry", "r2"], { cwd: work.dir });
    expect(retry.code).toBe(2);
    expect(retry.stderr).toMatch(/changed|dagHash|graph/i);
    expect(retry.stderr.trim().split("\n")).toHaveLength(1);
    const log = JSON.parse((await runCli(["logs", "--json", "r2"], { cwd: work.dir })).stdout) as RunLog;
    expect(log.status).toBe("FAIL");
    expect(log.steps.check!.attempts).toHaveLength(1);
  });

  it("a run id that exists is refused with exit 2; logs/retry of an unknown run exit 2", async () => {
    writeFileSync(join(work.dir, "input.txt"), "good\n");
    expect((await runCli(["run", file, "--run-id", "r3"], { cwd: work.dir })).code).toBe(0);
    const again = await runCli(["run", file, "--run-id", "r3"], { cwd: work.dir });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('run "r3" already exists');
    expect(readFileSync(join(work.dir, "calls.txt"), "utf8")).toBe("load\n");

    const logs = await runCli(["logs", "nope"], { cwd: work.dir });
    expect(logs.code).toBe(2);
    expect(logs.stderr).toContain('run "nope" not found');
    const retry = await runCli(["retry", "nope"], { cwd: work.dir });
    expect(retry.code).toBe(2);
    expect(runsIn(work.dir)).toEqual(["r3"]);
  });
});
