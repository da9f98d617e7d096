// THE PARITY SUITE: every example and construct fixture runs locally (in-process) and in the
// emulator (compiled ASL in aws-local-stepfunctions, real handlers in warm processes, S3 over
// s3rver); the run logs agree on statuses, attempts, final parameters, catalog md5s and step paths.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runInEmulator } from "../../src/emulate/index.js";
import type { RunResult } from "../../src/sdk/runlog.js";
import type { JsonValue } from "../../src/sdk/types.js";
import { load, parametersOf, runLocal, tempDir, useEmulator, view } from "./compare.js";

const REPO = join(import.meta.dirname, "..", "..");
const fixture = (name: string) => join(import.meta.dirname, "fixtures", `${name}.ts`);

const env = useEmulator(4);

async function both(file: string, extra: Record<string, JsonValue> = {}, perRun?: () => Record<string, JsonValue>): Promise<{ local: RunResult; emulator: RunResult }> {
  const p = await load(file);
  const local = await runLocal(p, parametersOf(p.source, { ...extra, ...perRun?.() }));
  const emulator = await runInEmulator({
    built: p.built, source: p.source, parameters: parametersOf(p.source, { ...extra, ...perRun?.() }), session: env.session(), retryIntervalMs: 0,
  });
  return { local, emulator };
}

function expectParity(r: { local: RunResult; emulator: RunResult }): void {
  expect(view(r.emulator.runLog)).toEqual(view(r.local.runLog));
  expect(r.emulator.status).toBe(r.local.status);
}

describe("examples: local and emulator runs agree", () => {
  const examples = readdirSync(join(REPO, "examples"), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  it("finds the examples", () => expect(examples.length).toBeGreaterThanOrEqual(5));
  for (const name of examples) {
    it(name, async () => {
      const r = await both(join(REPO, "examples", name, "pipeline.ts"));
      expectParity(r);
      expect(r.local.status).toBe("SUCCESS");
    }, 90_000);
  }
});

describe("constructs and failures: local and emulator runs agree", () => {
  it("Stub, object() returns, Parallel, Map + reducer, Map without reducer, Conditional + default, ShellTask, catalog get/put", async () => {
    const r = await both(fixture("constructs"), { items: [1, 2, 3], greeting: "hello", mode: "other" });
    expectParity(r);
    expect(r.emulator.status).toBe("SUCCESS");
    expect(r.emulator.parameters.result).toBe("hello:3:12:1+4+9:default path:1970");
    expect(r.emulator.runLog.steps["fan.2.double"]?.status).toBe("SUCCESS");
    expect(r.emulator.runLog.steps["pick.default.slow"]?.status).toBe("SUCCESS");
  }, 90_000);

  it("a failing step without onFailure fails the run", async () => {
    const r = await both(fixture("failing"), { recover: false });
    expectParity(r);
    expect(r.emulator.status).toBe("FAIL");
    expect(r.emulator.runLog.steps["how.false.broken"]?.attempts[0]?.error?.message).toContain("boom");
    expect(r.emulator.runLog.steps.after).toBeUndefined();
  }, 60_000);

  it("a failing step with onFailure: the recovery pipeline's outcome is the run's", async () => {
    const r = await both(fixture("failing"), { recover: true });
    expectParity(r);
    expect(r.emulator.status).toBe("SUCCESS");
    expect(r.emulator.runLog.steps["how.true.broken.onFailure.fallback"]?.status).toBe("SUCCESS");
  }, 60_000);

  it("retries that succeed on the 3rd attempt", async () => {
    const r = await both(fixture("flaky"), {}, () => ({ counter_dir: tempDir("flaky-") }));
    expectParity(r);
    expect(r.emulator.runLog.steps.flaky?.attempts.map((a) => a.status)).toEqual(["FAIL", "FAIL", "SUCCESS"]);
    expect(r.emulator.parameters.loud).toBe("OK AFTER 3");
  }, 60_000);

  it("a Conditional with no match and no default fails the run", async () => {
    const r = await both(fixture("no-match"));
    expectParity(r);
    expect(r.emulator.status).toBe("FAIL");
    expect(r.emulator.runLog.steps.route?.status).toBe("FAIL");
  }, 60_000);

  it("a Map where one iteration fails fails the Map and the run", async () => {
    const r = await both(fixture("map-fails"), { items: [0, 1, 2, 3] });
    expectParity(r);
    expect(r.emulator.status).toBe("FAIL");
    expect(r.emulator.runLog.steps["each.2.check"]?.status).toBe("FAIL");
    expect(r.emulator.runLog.steps.each?.status).toBe("FAIL");
  }, 60_000);

  it("a distributed Map (ItemReader from S3) is emulated with the same results", async () => {
    const r = await both(fixture("distributed"), { items: [10, 20, 30, 40, 50] });
    expectParity(r);
    expect(r.emulator.parameters.incremented).toEqual([11, 21, 31, 41, 51]);
  }, 60_000);

  for (const ending of ["normal", "early", "fail"]) {
    it(`nesting (Map in Map, onFailure in an iteration, Parallel holding a Map), ending "${ending}" (Success/Fail steps)`, async () => {
      const r = await both(fixture("nested"), { grid: [[1, 2], [3, 4]], ending });
      expectParity(r);
      expect(r.emulator.status).toBe(ending === "fail" ? "FAIL" : "SUCCESS");
      expect(r.emulator.runLog.steps["split.grid.rows.1.cells.0.square.onFailure.zero"]?.status).toBe("SUCCESS");
      expect(r.emulator.runLog.steps["split.grid.rows.1.cells.1.square"]?.attempts[0]?.outputParameters).toEqual({ squared: 16 });
    }, 60_000);
  }

  it("a distributed Map where one item fails: the Map fails, later items do not start", async () => {
    const r = await both(fixture("distributed-fails"), { items: [0, 1, 2, 3, 4] });
    // As on AWS, the failed child fails the Distributed Map state with States.ExceedToleratedFailureThreshold;
    // the Map's run-log record carries the failing step's own error (read from the run log), as locally.
    expectParity(r);
    expect(r.emulator.runLog.steps.wide?.attempts[0]?.error).toMatchObject({ name: "runnable.StepFailed", message: "item 2 is bad" });
    expect(r.local.runLog.steps.wide?.attempts[0]?.error).toMatchObject({ name: "runnable.StepFailed", message: "item 2 is bad" });
    expect(r.emulator.status).toBe("FAIL");
    expect(Object.keys(r.emulator.runLog.steps).filter((k) => k.startsWith("wide.")).sort()).toEqual(["wide.0.check", "wide.1.check", "wide.2.check"]);
  }, 60_000);

  it("a distributed Map nested in an inline Map: each of 3 iterations reads its own item list", async () => {
    const r = await both(fixture("distributed-nested"), { groups: [[1, 2], [3], [4, 5, 6]] });
    expectParity(r);
    expect(r.emulator.parameters.squared).toEqual([5, 9, 77]);
    const keys = (await env.session().storage.stores.blob.list(`catalog/${r.emulator.runId}/.internal/map-items/`)).sort();
    expect(keys.map((k) => k.split("/").pop())).toEqual(["outer.0.inner.json", "outer.1.inner.json", "outer.2.inner.json"]);
    const lists = await Promise.all(keys.map(async (k) => JSON.parse(Buffer.from((await env.session().storage.stores.blob.get(k))!).toString("utf8")) as number[]));
    expect(lists).toEqual([[0, 1], [0], [0, 1, 2]]);
  }, 60_000);

  it("a distributed Map with toleratedFailureCount 1 succeeds with one failed item (null), fails with two", async () => {
    const ok = await both(fixture("distributed-tolerant"), { items: [0, 1, 2, 3], bad: [2] });
    expectParity(ok);
    expect(ok.emulator.status).toBe("SUCCESS");
    expect(ok.emulator.parameters.checked).toEqual([0, 10, null, 30]);
    expect(ok.emulator.runLog.steps["wide.2.check"]?.status).toBe("FAIL");
    const bad = await both(fixture("distributed-tolerant"), { items: [0, 1, 2, 3], bad: [1, 2] });
    expectParity(bad);
    expect(bad.emulator.status).toBe("FAIL");
    // The second failure exceeds the tolerance: no later item starts, and the Map records the first failure's own error.
    expect(Object.keys(bad.emulator.runLog.steps).filter((k) => k.startsWith("wide.")).sort()).toEqual(["wide.0.check", "wide.1.check", "wide.2.check"]);
    expect(bad.emulator.runLog.steps.wide?.attempts[0]?.error).toMatchObject({ name: "runnable.StepFailed", message: "item 1 is bad" });
  }, 90_000);

  it("a Batch step runs handlers/batch.ts as a container process, with the same results", async () => {
    const r = await both(fixture("batch"), { n: 50 });
    expectParity(r);
    expect(r.emulator.parameters.result).toBe(101);
    expect(r.emulator.runLog.steps.heavy?.catalog.map((c) => c.name)).toEqual(["table.csv"]);
  }, 60_000);

  it("limits: a 300 KB return goes to the store; a step sleeping past its timeout fails as runnable.Timeout and is retried", async () => {
    const r = await both(fixture("limits"), { spin_ms: 0 }, () => ({ counter_dir: tempDir("limits-") }));
    expectParity(r);
    expect(r.emulator.status).toBe("SUCCESS");
    expect(r.emulator.parameters.size).toBe(300 * 1024);
    expect(r.emulator.runLog.steps.stuck?.attempts.map((a) => [a.status, a.error?.name ?? null])).toEqual([["FAIL", "runnable.Timeout"], ["SUCCESS", null]]);
    expect(readFileSync(join(String(r.emulator.runLog.parameters.counter_dir), "stuck-attempts"), "utf8")).toBe("2");
  }, 60_000);
});
