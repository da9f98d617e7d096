// What `runnable run --mode emulator` prints while it runs, next to a local run of the same file:
// a failed step shows the user's own error (not the Lambda error envelope), its stack only with
// --verbose; a Batch step has its progress line, and the Batch handler's result never reaches stdout.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorOfTask } from "../../src/emulate/progress.js";
import { TaskError } from "../../src/emulate/workers.js";
import { runCli, tempDir } from "../helpers/cli.js";

const PIPELINE = join(import.meta.dirname, "fixtures", "batch-then-fail.ts");

let work: ReturnType<typeof tempDir>;
beforeAll(() => {
  work = tempDir("runnable-emu-progress-");
});
afterAll(() => work.cleanup());

/** The progress line of a step, its duration taken out. */
function lineOf(stderr: string, step: string): string | undefined {
  return stderr.split("\n").find((l) => l.split(/\s+/)[1] === step)?.replace(/ {2}\d+(\.\d+)? m?s/, "  <t>");
}

describe("emulator progress reads like local progress", () => {
  it("a failed step shows its own error; --verbose adds its stack; the Batch step has its line and stdout holds only what steps print", async () => {
    const [local, emulated] = await Promise.all([
      runCli(["run", PIPELINE, "--run-id", "loc"], { cwd: work.dir }),
      runCli(["run", PIPELINE, "--mode", "emulator", "--run-id", "emu", "--verbose"], { cwd: work.dir }),
    ]);
    expect(local.code, local.stderr).toBe(1);
    expect(emulated.code, emulated.stderr).toBe(1);

    expect(lineOf(local.stderr, "gate")).toBe("FAIL    gate  <t>  Error: not fixed yet");
    expect(lineOf(emulated.stderr, "gate")).toBe(lineOf(local.stderr, "gate"));
    expect(emulated.stderr).not.toContain("errorType");
    // --verbose: the frames of the step's own stack, under its line, pointing at the pipeline file.
    const after = emulated.stderr.split("\n").slice(emulated.stderr.split("\n").findIndex((l) => l.startsWith("FAIL    gate")) + 1);
    expect(after[0]).toMatch(/^ {4}at .*gate .*batch-then-fail\.ts:\d+:\d+\)$/);
    expect(local.stderr).not.toMatch(/^ {4}at /m);

    // The Batch step is reported like any other; the summary counts what the lines show.
    expect(lineOf(emulated.stderr, "heavy")).toBe("SUCCESS heavy  <t>");
    expect(emulated.stderr).toContain("steps: 1 succeeded, 1 failed");
    expect(emulated.stdout).toBe("heavy: 3 rows written\n");
    expect(local.stdout).toBe("heavy: 3 rows written\n");
  }, 120_000);
});

describe("errorOfTask: the step's error when no attempt record tells it", () => {
  it("reads the Lambda envelope, a Batch job's reason, or the error as raised", () => {
    expect(errorOfTask(TaskError.lambda("Error", "boom", ["Error: boom", "    at x"]))).toEqual({ name: "Error", message: "boom" });
    const job = { JobId: "j", Status: "FAILED", StatusReason: "Essential container in task exited", Container: { ExitCode: 137, Reason: "killed (SIGKILL)" } };
    expect(errorOfTask(new TaskError("States.TaskFailed", JSON.stringify(job)))).toEqual({
      name: "States.TaskFailed", message: "Essential container in task exited: killed (SIGKILL)",
    });
    expect(errorOfTask(new TaskError("Sandbox.Timedout", "Task timed out after 3.00 seconds"))).toEqual({
      name: "Sandbox.Timedout", message: "Task timed out after 3.00 seconds",
    });
  });
});
