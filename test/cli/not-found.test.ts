// `runnable logs <id>` / `retry <id>` / `runs compare` with an id that is not there: the message
// says where the CLI looked, as the user would type it, and lists the newest runs that are there.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPipeline } from "../../src/execute/index.js";
import { FunctionTask, Pipeline } from "../../src/index.js";
import { CLI_HINT, runCli, tempDir } from "../helpers/cli.js";

let work: ReturnType<typeof tempDir>;
const ids = ["r-1", "r-2", "r-3", "r-4", "r-5", "r-6"];

beforeAll(async () => {
  work = tempDir("runnable-not-found-");
  const pipeline = new Pipeline({ name: "tiny", steps: [new FunctionTask({ name: "one", function: () => 1, returns: ["x"] })] });
  // One after the other: the run list is ordered by start time.
  for (const runId of ids) await runPipeline(pipeline, { root: join(work.dir, ".runnable"), runId });
});
afterAll(() => work.cleanup());

describe("a run id that is not there", () => {
  it("`logs` says it looked in .runnable/runs/ and lists the 5 most recent run ids", async () => {
    const r = await runCli(["logs", "r-7"], { cwd: work.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: run "r-7" not found in .runnable/runs/. The 5 most recent runs there:\n');
    const listed = r.stderr.split("\n").filter((l) => /^ {2}r-\d/.test(l)).map((l) => l.trim().split(/\s+/).slice(0, 3));
    expect(listed).toEqual(["r-6", "r-5", "r-4", "r-3", "r-2"].map((id) => [id, "tiny", "SUCCESS"]));
    expect(r.stderr).toContain(`(1 more: ${CLI_HINT} runs list)`);
  }, 60_000);

  it("`retry` and `runs compare` say the same; in a folder without runs it says so", async () => {
    const retry = await runCli(["retry", "r-7"], { cwd: work.dir });
    expect(retry.code).toBe(2);
    expect(retry.stderr).toContain('error: run "r-7" not found in .runnable/runs/. The 5 most recent runs there:\n');
    const compare = await runCli(["runs", "compare", "r-1", "r-7"], { cwd: work.dir });
    expect(compare.code).toBe(2);
    expect(compare.stderr).toContain('error: run "r-7" not found in .runnable/runs/. The 5 most recent runs there:\n');
    const elsewhere = join(work.dir, "elsewhere");
    mkdirSync(elsewhere);
    const empty = await runCli(["logs", "r-1"], { cwd: elsewhere });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toBe('error: run "r-1" not found in .runnable/runs/ (.runnable does not exist here: run the command in the folder the run was started from, or pass --root)\n');
    const rooted = await runCli(["logs", "r-9", "--root", "../.runnable"], { cwd: elsewhere });
    expect(rooted.stderr).toContain(`not found in ${join(work.dir, ".runnable", "runs")}/. The 5 most recent runs there:\n`);
    expect(rooted.stderr).toContain(`(1 more: ${CLI_HINT} runs list --root ../.runnable)`);
  }, 60_000);
});
