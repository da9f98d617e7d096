import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { retryRun, runPipeline } from "../../src/execute/index.js";
import { Conditional, FunctionTask, Map as MapStep, Parallel, Pipeline } from "../../src/index.js";
import type { Node as SdkNode } from "../../src/sdk/node.js";
import type { AttemptLog } from "../../src/sdk/runlog.js";
import { REPO, parseResult, runCli, tempDir } from "../helpers/cli.js";

/**
 * `retry --from <step>` re-runs exactly that step, everything after it and the composites around it
 * (checked against an independent walk of random pipelines with Parallel/Map/Conditional), and
 * `retry --parameters` fixes a run that failed on a bad parameter, recording the new values beside
 * the run's own.
 */
const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));
function root(): string {
  const dir = mkdtempSync(join(tmpdir(), "runnable-resume-"));
  roots.push(dir);
  return dir;
}

type Spec =
  | { k: "task" }
  | { k: "parallel"; branches: Spec[][] }
  | { k: "map"; branch: Spec[] }
  | { k: "conditional"; branches: Spec[][] };

const { pipeline: pipelineArb } = fc.letrec<{ pipeline: Spec[]; node: Spec }>((tie) => ({
  pipeline: fc.array(tie("node"), { minLength: 1, maxLength: 3 }),
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    { weight: 4, arbitrary: fc.constant({ k: "task" as const }) },
    fc.record({ k: fc.constant("parallel" as const), branches: fc.array(tie("pipeline"), { minLength: 1, maxLength: 2 }) }),
    fc.record({ k: fc.constant("map" as const), branch: tie("pipeline") }),
    fc.record({ k: fc.constant("conditional" as const), branches: fc.array(tie("pipeline"), { minLength: 1, maxLength: 2 }) }),
  ),
}));

const stepName = (i: number) => `s${i}`;

function toPipeline(specs: Spec[], depth = 0): Pipeline {
  return new Pipeline({ steps: specs.map((s, i) => toNode(s, stepName(i), depth)) });
}

/** `depth` keeps nested Maps' iterateAs names apart (a Map may not hide an outer Map's item). */
function toNode(s: Spec, name: string, depth: number): SdkNode {
  switch (s.k) {
    case "task":
      return new FunctionTask({ name, function: () => undefined });
    case "parallel":
      return new Parallel({ name, branches: Object.fromEntries(s.branches.map((b, i) => [`b${i}`, toPipeline(b, depth + 1)])) });
    case "map":
      return new MapStep({ name, iterateOn: "items", iterateAs: `item${depth}`, branch: toPipeline(s.branch, depth + 1), maxConcurrency: 2 });
    case "conditional":
      return new Conditional({ name, parameter: "sel", branches: Object.fromEntries(s.branches.map((b, i) => [`k${i}`, toPipeline(b, depth + 1)])) });
  }
}

/** What re-runs from `from`, by walking the specs in run order (the recorded paths it covers). */
function expectedReruns(specs: Spec[], from: string, recorded: string[]): Set<string> {
  const out = new Set<string>();
  const subtree = (path: string) => recorded.filter((r) => r === path || r.startsWith(`${path}.`)).forEach((r) => out.add(r));
  const walk = (pipeline: Spec[], prefix: string): void => {
    let after = false;
    pipeline.forEach((s, i) => {
      const path = `${prefix}${stepName(i)}`;
      if (after || from === path) {
        subtree(path);
        after = true;
        return;
      }
      if (!from.startsWith(`${path}.`)) return;
      out.add(path);
      const selector = from.slice(path.length + 1).split(".")[0]!;
      const inner = s.k === "map" ? s.branch : s.k === "task" ? [] : s.branches[Number(selector.slice(1))]!;
      walk(inner, `${path}.${selector}.`);
      after = true;
    });
  };
  walk(specs, "");
  return new Set([...out].filter((p) => recorded.includes(p)));
}

const statuses = (attempts: AttemptLog[]) => attempts.map((a) => (a.error?.name === "runnable.Rerun" ? "RERUN" : a.status));

describe("retry --from", () => {
  it("re-runs exactly the named step, what follows it and the composites around it (property, 25 random pipelines)", async () => {
    await fc.assert(fc.asyncProperty(pipelineArb, fc.nat(), async (specs, pick) => {
      const pipeline = toPipeline(specs);
      const dir = root();
      const first = await runPipeline(pipeline, { root: dir, workDir: dir, parameters: { items: [1, 2], sel: "k0" } });
      expect(first.status).toBe("SUCCESS");
      const before = first.runLog.steps;
      const recorded = Object.keys(before);
      const from = recorded[pick % recorded.length]!;
      const again = await retryRun(first.runId, { root: dir, workDir: dir, pipeline, from });
      expect(again.status).toBe("SUCCESS");
      const expected = expectedReruns(specs, from, recorded);
      expect(expected.has(from)).toBe(true);
      for (const path of recorded) {
        const now = statuses(again.runLog.steps[path]!.attempts);
        if (expected.has(path)) expect(now, `${path} re-runs from ${from}`).toEqual(["SUCCESS", "RERUN", "SUCCESS"]);
        else expect(now, `${path} stays done (from ${from})`).toEqual(["SUCCESS"]);
      }
      expect(Object.keys(again.runLog.steps).sort()).toEqual([...recorded].sort());
      expect(again.runLog.executions?.map((e) => [e.id, e.status, e.from])).toEqual([["local", "SUCCESS", undefined], ["retry-1", "SUCCESS", from]]);
    }), { numRuns: 25 });
  }, 120_000);

  it("a path that names no step is refused before anything is written", async () => {
    const pipeline = toPipeline([{ k: "task" }, { k: "map", branch: [{ k: "task" }] }]);
    const dir = root();
    const first = await runPipeline(pipeline, { root: dir, workDir: dir, parameters: { items: [1], sel: "k0" } });
    await expect(retryRun(first.runId, { root: dir, workDir: dir, pipeline, from: "s1.0.nope" })).rejects.toThrow(/--from "s1\.0\.nope": no step "nope" in "s1\.0"/);
    await expect(retryRun(first.runId, { root: dir, workDir: dir, pipeline, from: "s0.x" })).rejects.toThrow(/"s0" is a function step: it has no steps inside/);
    // A Map's iteration may be left out: every iteration's step re-runs.
    const again = await retryRun(first.runId, { root: dir, workDir: dir, pipeline, from: "s1.s0" });
    expect(statuses(again.runLog.steps["s1.0.s0"]!.attempts)).toEqual(["SUCCESS", "RERUN", "SUCCESS"]);
    expect(statuses(again.runLog.steps.s0!.attempts)).toEqual(["SUCCESS"]);
  }, 30_000);
});

describe("retry --parameters", () => {
  it("fixes a run that failed on a bad parameter (the CLI): the re-run step sees the new value, the run's own parameters stay", async () => {
    const { dir, cleanup } = tempDir("runnable-resume-");
    roots.push(dir);
    void cleanup;
    const file = join(REPO, "test", "fixtures", "resume", "pipeline.ts");
    const failed = await runCli(["run", file, "--json"], { cwd: dir, env: { RUNNABLE_PRM_threshold: "20" } });
    expect(failed.code).toBe(1);
    const { runId } = parseResult(failed);
    writeFileSync(join(dir, "fix.yaml"), "threshold: 5\n");
    const fixed = await runCli(["retry", runId, "--parameters", "fix.yaml", "--json"], { cwd: dir });
    expect(fixed.code, fixed.stderr).toBe(0);
    const log = parseResult(fixed).runLog;
    expect(log.status).toBe("SUCCESS");
    expect(log.parameters).toEqual({ threshold: 20 });
    expect(log.finalParameters).toMatchObject({ threshold: 5, checked: true });
    expect(log.steps.prepare!.attempts.map((a) => a.status)).toEqual(["SUCCESS"]);
    expect(log.steps.check!.attempts.map((a) => [a.status, a.inputParameters.threshold])).toEqual([["FAIL", 20], ["SUCCESS", 5]]);
    expect(log.executions?.map((e) => [e.id, e.status, e.parameters])).toEqual([["local", "FAIL", undefined], ["retry-1", "SUCCESS", { threshold: 5 }]]);
    // And a run that succeeded is re-run only from a named step.
    const refused = await runCli(["retry", runId], { cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("already succeeded: nothing to retry (to run steps again, name where to start: --from <step>)");
  }, 60_000);
});
