// The CLI views as a user runs them, on real runs in a fresh folder: `runs list` (local and
// emulator runs under one root), `logs` (table by default, JSON with --json), `runs compare`, and
// `graph --format dot|svg -o`.
import { cpSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunLog } from "../../src/sdk/runlog.js";
import type { RunListing } from "../../src/ui/source.js";
import { CLI_HINT, REPO, runCli, tempDir, writePipeline } from "../helpers/cli.js";

let work: ReturnType<typeof tempDir>;
let file: string;

const PIPELINE = `
import { Catalog, FunctionTask, MapNode, Pipeline, metric } from "runnable-ts";
import { writeFileSync } from "node:fs";
const make = ({ n }: { n: number }) => Array.from({ length: n }, (_, i) => i);
const square = ({ x }: { x: number }) => { if (x === 3 && process.env.BREAK) throw new Error("three is bad"); return x * x; };
const total = ({ sq, scale }: { sq: number[]; scale: number }) => {
  writeFileSync("total.txt", String(sq.reduce((a, b) => a + b, 0) * scale));
  return { total: sq.reduce((a, b) => a + b, 0) * scale, quality: scale / 10 };
};
export default new Pipeline({ name: "squares", steps: [
  new FunctionTask({ name: "make", function: make, returns: ["xs"] }),
  new MapNode({ name: "each", iterateOn: "xs", iterateAs: "x", branch: new FunctionTask({ name: "square", function: square, returns: ["sq"] }).asPipeline() }),
  new FunctionTask({ name: "total", function: total, returns: ["total", metric("quality")], catalog: new Catalog({ put: ["total.txt"] }) }),
] });
`;

const run = (args: string[], env: Record<string, string> = {}) => runCli(args, { cwd: work.dir, env });

beforeAll(async () => {
  work = tempDir("runnable-views-");
  file = writePipeline(work.dir, "squares.ts", PIPELINE);
  // Three local runs (one failing), then one emulator run of the ML example under the same root.
  expect((await run(["run", file, "--run-id", "sq-1", "--tag", "first"], { RUNNABLE_PRM_n: "5", RUNNABLE_PRM_scale: "1" })).code).toBe(0);
  expect((await run(["run", file, "--run-id", "sq-2"], { RUNNABLE_PRM_n: "5", RUNNABLE_PRM_scale: "2" })).code).toBe(0);
  expect((await run(["run", file, "--run-id", "sq-bad"], { RUNNABLE_PRM_n: "5", RUNNABLE_PRM_scale: "1", BREAK: "1" })).code).toBe(1);
  // The emulator run under its own root, joined by copies of the local runs: each command on a root
  // with emulator runs starts a local S3 server, so only the tests about mixing use that root.
  const emu = await run(["run", join(REPO, "examples", "map-reduce", "pipeline.ts"), "--mode", "emulator", "--run-id", "mr-emu", "--root", "mixed"]);
  expect(emu.code, emu.stderr).toBe(0);
  cpSync(join(work.dir, ".runnable", "runs"), join(work.dir, "mixed", "runs"), { recursive: true });
}, 180_000);
afterAll(() => work.cleanup());

describe("runnable runs list", () => {
  it("lists local and emulator runs newest first, with status, tag and parameters", async () => {
    const list = await run(["runs", "list", "--root", "mixed"]);
    expect(list.code, list.stderr).toBe(0);
    const lines = list.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^RUN ID\s+PIPELINE\s+STATUS\s+STARTED \(UTC\)\s+DURATION\s+MODE\s+TAG\s+PARAMETERS$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(["mr-emu", "sq-bad", "sq-2", "sq-1"]);
    expect(lines[1]).toMatch(/^mr-emu\s+map-reduce\s+SUCCESS\s.*emulator\s+texts=\[4 items\]$/);
    expect(lines[2]).toMatch(/^sq-bad\s+squares\s+FAIL\s.*local\s+n=5, scale=1$/);
    expect(lines[4]).toMatch(/^sq-1\s+squares\s+SUCCESS\s.*local\s+first\s+n=5, scale=1$/);
  });

  it("filters by pipeline, status and tag, limits, and prints JSON", async () => {
    const json = await run(["runs", "list", "--pipeline", "squares", "--status", "SUCCESS", "--json"]);
    expect(json.code, json.stderr).toBe(0);
    const runs = JSON.parse(json.stdout) as RunListing[];
    expect(runs.map((r) => [r.runId, r.status, r.store])).toEqual([["sq-2", "SUCCESS", "local"], ["sq-1", "SUCCESS", "local"]]);
    expect(runs[1]).toMatchObject({ pipeline: "squares", tag: "first", parameters: { n: 5, scale: 1 }, mode: "local", executions: 1 });
    const limited = JSON.parse((await run(["runs", "list", "--limit", "1", "--json"])).stdout) as RunListing[];
    expect(limited.map((r) => r.runId)).toEqual(["sq-bad"]);
    const tagged = JSON.parse((await run(["runs", "list", "--tag", "first", "--json"])).stdout) as RunListing[];
    expect(tagged.map((r) => r.runId)).toEqual(["sq-1"]);
    const bad = await run(["runs", "list", "--status", "DONE"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--status must be one of SUCCESS, FAIL, RUNNING");
    const empty = await run(["runs", "list", "--root", "nowhere"]);
    expect([empty.code, empty.stdout]).toEqual([0, "no runs\n"]);
  });
});

describe("runnable logs", () => {
  it("prints a table of the steps in run order, the Map's iterations as one row and the failed one, the error, the retry hint", async () => {
    const logs = await run(["logs", "sq-bad"]);
    expect(logs.code, logs.stderr).toBe(0);
    const text = logs.stdout;
    expect(text).toMatch(/^run {8}sq-bad\npipeline {3}squares {3}status FAIL/);
    const table = text.slice(text.indexOf("#  STEP"), text.indexOf("\n\n", text.indexOf("#  STEP"))).split("\n").slice(1);
    expect(table.map((l) => l.replace(/ {2,}/g, " | ").replace(/\| \d+ ms \|/, "| T |").replace(/median \d+ ms, slowest \d+ ms/, "…"))).toEqual([
      "1 | make | SUCCESS | 1 | T | xs=[5 items]",
      "2 | each | FAIL | 1 | T | runnable.StepFailed: three is bad",
      "3 | each.*.square | 4 ✓ 1 ✗ | 1 | T | 5 iterations, …",
      " | each.3.square | FAIL | 1 | T | Error: three is bad",
    ]);
    expect(text).toContain("failures\n  each  (attempt 1)\n    runnable.StepFailed: three is bad\n  each.3.square  (attempt 1)\n    Error: three is bad\n");
    expect(text).toContain(`re-run what failed: ${CLI_HINT} retry sq-bad\n`);
    // --json keeps the run log itself.
    const json = await run(["logs", "sq-bad", "--json"]);
    const log = JSON.parse(json.stdout) as RunLog;
    expect(log.steps["each.3.square"]?.attempts[0]?.error?.message).toBe("three is bad");
  });

  it("ends a successful run with its estimated AWS cost, priced from its own Map sizes and durations; a failed run has none", async () => {
    const logs = await run(["logs", "sq-1"]);
    const line = /estimated AWS cost of this run: \$([\d.e-]+) \((\d+) state transitions, (\d+) Lambda calls, 0 Batch jobs; us-east-1 prices of \d{4}-\d\d-\d\d; its step durations and Map sizes\)/.exec(logs.stdout);
    expect(line, logs.stdout).not.toBeNull();
    // The same counts as `runnable cost` gives for this pipeline with the run's 5 Map items.
    const estimate = JSON.parse((await run(["cost", file, "--map-items", "each=5", "--json"])).stdout) as { stateTransitions: { count: number }; lambda: { requests: number } };
    expect([Number(line![2]), Number(line![3])]).toEqual([estimate.stateTransitions.count, estimate.lambda.requests]);
    expect(Number(line![1])).toBeGreaterThan(0);
    expect((await run(["logs", "sq-bad"])).stdout).not.toContain("estimated AWS cost");
  });

  it("reads emulator runs too, and exits 2 on an unknown run", async () => {
    const emu = await run(["logs", "mr-emu", "--root", "mixed"]);
    expect(emu.code, emu.stderr).toBe(0);
    expect(emu.stdout).toMatch(/count_words\.\*\.count\s+4 ✓/);
    const unknown = await run(["logs", "nope"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('run "nope" not found');
  });
});

describe("runnable runs compare", () => {
  it("shows the parameter and metric diff, step durations and the catalog file whose md5 changed", async () => {
    const cmp = await run(["runs", "compare", "sq-1", "sq-2"]);
    expect(cmp.code, cmp.stderr).toBe(0);
    expect(cmp.stdout).toMatch(/^\[1\] sq-1 {2}squares {2}SUCCESS/);
    expect(cmp.stdout).toMatch(/≠ scale\s+1\s+2\n/);
    expect(cmp.stdout).toContain("parameters: 1 differ, 1 equal");
    expect(cmp.stdout).toMatch(/≠ quality\s+0\.1\s+0\.2\n/);
    expect(cmp.stdout).toMatch(/each\.\*\.square\s+\d+ ms\s+\d+ ms/);
    expect(cmp.stdout).toMatch(/catalog files: 1 changed, 0 same md5\n.*\n\s+total\.txt\s+[0-9a-f]{8} 2 B\s+[0-9a-f]{8} 2 B/);
    const json = JSON.parse((await run(["runs", "compare", "sq-1", "sq-2", "--json"])).stdout) as { parameters: unknown[] };
    expect(json.parameters).toEqual([{ name: "n", values: [5, 5], present: [true, true], same: true }, { name: "scale", values: [1, 2], present: [true, true], same: false }]);
    const one = await run(["runs", "compare", "sq-1"]);
    expect(one.code).toBe(2);
    expect(one.stderr).toContain("runs compare takes 2 to 5 run ids, got 1");
  });
});

describe("runnable graph --format", () => {
  it("writes SVG (the UI's layout) and Graphviz dot; mermaid stays the default", async () => {
    const svg = await run(["graph", file, "--format", "svg", "-o", "squares.svg"]);
    expect(svg.code, svg.stderr).toBe(0);
    const text = readFileSync(join(work.dir, "squares.svg"), "utf8");
    expect(text).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="\d+" height="\d+"/);
    expect(text.match(/data-path="[^"]+"/g)).toEqual(['data-path="make"', 'data-path="each"', 'data-path="each.*.square"', 'data-path="total"']);
    expect(text.trimEnd().endsWith("</svg>")).toBe(true);
    const dot = await run(["graph", file, "--format", "dot"]);
    expect(dot.stdout).toMatch(/^digraph pipeline \{/);
    expect(dot.stdout).toContain('subgraph "cluster_group_each" {');
    expect(dot.stdout).toContain('"make" -> "each";');
    expect((await run(["graph", file])).stdout).toMatch(/^flowchart TD/);
    const bad = await run(["graph", file, "--format", "png"]);
    expect(bad.code).toBe(2);
  });
});
