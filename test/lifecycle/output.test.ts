import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_OUTPUT_LIMIT } from "../../src/runtime/output.js";
import type { CommandContext } from "../../src/cli/context.js";
import { printOutput, type OutputRequest } from "../../src/cli/views/output.js";
import type { RunLog } from "../../src/sdk/runlog.js";
import { openSource } from "../../src/ui/source.js";
import { parseResult, runCli, tempDir, writePipeline } from "../helpers/cli.js";

/**
 * What steps print is stored per attempt (the CLI as a user runs it): a function printing 10 MB
 * keeps its tail, a shell step failing three times keeps three logs, a printed secret is masked,
 * and concurrent in-process functions each keep only their own lines.
 */
const PIPELINE = `
import { FunctionTask, Parallel, Pipeline, ShellTask } from "runnable-ts";

const chatty = (who: string) => async () => {
  for (let i = 0; i < 5; i++) {
    console.log(\`\${who} line \${i}\`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

export default new Pipeline({ steps: [
  new Parallel({ name: "both", branches: {
    a: new Pipeline({ steps: [new FunctionTask({ name: "left", function: chatty("LEFT") })] }),
    b: new Pipeline({ steps: [new FunctionTask({ name: "right", function: chatty("RIGHT") })] }),
  } }),
  new FunctionTask({ name: "big", function: () => {
    const line = "x".repeat(127) + "\\n";
    for (let i = 0; i < 10 * 8192; i++) process.stdout.write(line);
    console.error("LAST LINE of big");
  } }),
  new FunctionTask({ name: "leak", function: ({ token }: { token: string }) => { console.log("the token is " + token + "!"); } }),
  new FunctionTask({ name: "quiet", function: () => {} }),
  new ShellTask({ name: "flaky", command: 'echo "try $RUNNABLE_ATTEMPT of flaky"; echo "to stderr $RUNNABLE_ATTEMPT" >&2; exit 3',
    retry: { attempts: 3, intervalSeconds: 0 } }),
] });
`;

let dir: string;
let cleanup: () => void;
let log: RunLog;
/** What the run printed on the terminal (stdout and stderr). */
let terminal: string;

const logs = (...args: string[]) => runCli(["logs", log.runId, ...args], { cwd: dir });

/** `runnable logs --output` in-process (what the CLI's action calls): stdout and stderr text. */
async function shown(request: OutputRequest): Promise<{ out: string; err: string }> {
  let out = "";
  let err = "";
  const ctx = { io: { out: (t: string) => void (out += t), err: (t: string) => void (err += t), errIsTTY: false }, action: () => async () => {} } as unknown as CommandContext;
  const source = await openSource({ root: join(dir, ".runnable") });
  try {
    await printOutput(ctx, source, log, request);
  } finally {
    await source.close();
  }
  return { out, err };
}

beforeAll(async () => {
  ({ dir, cleanup } = tempDir("runnable-output-"));
  writePipeline(dir, "pipeline.ts", PIPELINE);
  const run = await runCli(["run", "pipeline.ts", "--json"], { cwd: dir, env: { RUNNABLE_SECRET_token: "hunter2-s3cret" } });
  expect(run.code, run.stderr).toBe(1);
  log = parseResult(run).runLog;
  terminal = run.stdout + run.stderr;
}, 60_000);
afterAll(() => cleanup());

describe("captured output", () => {
  it("keeps the tail of a function that printed 10 MB, with a note on what was dropped", async () => {
    const out = log.steps.big!.attempts[0]!.output!;
    expect(out.name).toBe("big/attempt-1.log");
    const printed = 10 * 1024 * 1024 + "LAST LINE of big\n".length;
    const stored = readFileSync(join(dir, ".runnable", "catalog", log.runId, out.name), "utf8");
    const [note, ...rest] = stored.split("\n");
    const body = rest.join("\n");
    expect(note).toBe(`[runnable: ${out.dropped} earlier bytes of output not kept; the last ${body.length} follow]`);
    // The tail is whole lines, at most the limit, and together with what was dropped it is everything printed.
    expect(body.length).toBeLessThanOrEqual(DEFAULT_OUTPUT_LIMIT);
    expect(body.length).toBeGreaterThan(DEFAULT_OUTPUT_LIMIT - 128);
    expect(out.dropped! + body.length).toBe(printed);
    expect(out.size).toBe(stored.length);
    expect(body.endsWith("LAST LINE of big\n")).toBe(true);
    expect(body.split("\n").slice(0, -2).every((l) => l === "x".repeat(127))).toBe(true);
  });

  it("keeps one log per attempt of a failing shell step, each with its own stdout and stderr", async () => {
    const attempts = log.steps.flaky!.attempts;
    expect(attempts.map((a) => [a.attempt, a.status, a.output?.name])).toEqual([
      [1, "FAIL", "flaky/attempt-1.log"], [2, "FAIL", "flaky/attempt-2.log"], [3, "FAIL", "flaky/attempt-3.log"],
    ]);
    for (const n of [1, 2, 3]) {
      expect(readFileSync(join(dir, ".runnable", "catalog", log.runId, `flaky/attempt-${n}.log`), "utf8")).toBe(`try ${n} of flaky\nto stderr ${n}\n`);
    }
    const cli = await logs("--step", "flaky", "--output");
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toBe("try 1 of flaky\nto stderr 1\ntry 2 of flaky\nto stderr 2\ntry 3 of flaky\nto stderr 3\n");
    expect(cli.stderr).toContain("flaky  attempt 3  FAIL");
    expect((await shown({ step: "flaky", attempt: 3 })).out).toBe("try 3 of flaky\nto stderr 3\n");
  });

  it("masks a secret a step printed", async () => {
    expect((await shown({ step: "leak" })).out).toBe("the token is ***!\n");
    expect(readFileSync(join(dir, ".runnable", "catalog", log.runId, "leak/attempt-1.log"), "utf8")).not.toContain("hunter2");
    // The terminal saw the same masked line as it was printed.
    expect(terminal).toContain("the token is ***!\n");
    expect(terminal).not.toContain("hunter2");
  });

  it("attributes what concurrent functions print to each one's own attempt", () => {
    const read = (step: string) => readFileSync(join(dir, ".runnable", "catalog", log.runId, `${step}/attempt-1.log`), "utf8");
    expect(read("both.a.left")).toBe([0, 1, 2, 3, 4].map((i) => `LEFT line ${i}\n`).join(""));
    expect(read("both.b.right")).toBe([0, 1, 2, 3, 4].map((i) => `RIGHT line ${i}\n`).join(""));
  });

  it("stores nothing for a step that printed nothing, and says so", async () => {
    expect(log.steps.quiet!.attempts[0]!.output).toBeUndefined();
    const quiet = await shown({ step: "quiet" });
    expect(quiet.out).toBe("");
    expect(quiet.err).toContain("quiet  attempt 1  SUCCESS  (printed nothing)");
  });

  it("refuses an unknown step, naming the steps it has", async () => {
    await expect(shown({ step: "flak" })).rejects.toThrow(`run ${log.runId} has no step "flak" (steps: flaky)`);
  });
});
