import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  Catalog, DefinitionError, FunctionTask, Map as MapStep, Parallel, Pipeline, RunExistsError, Stub, UsageError, readRunLog, retryRun,
} from "../../src/index.js";
import { runPipeline } from "../../src/execute/index.js";
import type { RunLog } from "../../src/sdk/runlog.js";
import { fsStores } from "../../src/store/index.js";
import { tempDir } from "./helpers.js";
import retryMe, { calls } from "./fixtures/retry-me/pipeline.js";

const md5 = (text: string) => createHash("md5").update(text).digest("hex");
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** Checks the run log has exactly the Contract's keys and types. */
function expectContractShape(log: RunLog): void {
  expect(Object.keys(log).sort()).toEqual(
    ["codeIdentity", "dagHash", "endedAt", "finalParameters", "parameters", "pipeline", "runId", "startedAt", "status", "steps", "tag"]);
  expect(log).toMatchObject({ runId: expect.any(String), pipeline: expect.any(String), tag: expect.any(String), dagHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
  expect(["SUCCESS", "FAIL", "RUNNING"]).toContain(log.status);
  expect(log.startedAt).toMatch(ISO);
  expect(log.endedAt).toMatch(ISO);
  expect(["git", "none"]).toContain(log.codeIdentity.type);
  for (const [path, step] of Object.entries(log.steps)) {
    expect(Object.keys(step).sort(), path).toEqual(["attempts", "catalog", "status", "type"]);
    expect(["task", "stub", "parallel", "map", "conditional", "success", "fail"]).toContain(step.type);
    expect(step.status).toBe(step.attempts[step.attempts.length - 1]!.status);
    step.attempts.forEach((a, i) => {
      expect(a.attempt).toBe(i + 1);
      expect(a.startedAt).toMatch(ISO);
      expect(a.endedAt).toMatch(ISO);
      for (const k of ["inputParameters", "outputParameters", "metrics"] as const) expect(typeof a[k]).toBe("object");
      expect(a.error === null || (typeof a.error.name === "string" && typeof a.error.message === "string")).toBe(true);
    });
    for (const c of step.catalog) {
      expect(c).toMatchObject({ name: expect.any(String), stage: expect.stringMatching(/^(get|put)$/), md5: expect.stringMatching(/^[0-9a-f]{32}$/), size: expect.any(Number) });
    }
  }
}

const roots: string[] = [];
function root(): string {
  const r = tempDir("runnable-root-");
  roots.push(r);
  return r;
}
afterEach(() => {
  delete process.env.RETRY_ME_OK;
});

describe("runPipeline / pipeline.execute", () => {
  it("writes a run log of the Contract's shape under root, readable with readRunLog", async () => {
    const r = root();
    const pipeline = new Pipeline({ name: "shape", steps: [
      new FunctionTask({ name: "prep", returns: ["n"], function: ({ start }: { start: number }) => start + 1 }),
      new Parallel({ name: "par", branches: { a: new Stub({ name: "s", returns: ["x"] }).asPipeline() } }),
      new MapStep({ name: "fan", iterateOn: "items", iterateAs: "it", branch: new Stub({ name: "each" }).asPipeline() }),
    ] });
    const result = await pipeline.execute({ root: r, parameters: { start: 1, items: [1, 2] }, tag: "t1", runId: "shape-run" });
    expect(result).toMatchObject({ runId: "shape-run", status: "SUCCESS", parameters: { start: 1, items: [1, 2], n: 2, x: null } });
    expectContractShape(result.runLog);
    expect(result.runLog).toMatchObject({ pipeline: "shape", tag: "t1", parameters: { start: 1, items: [1, 2] } });
    expect(Object.keys(result.runLog.steps).sort()).toEqual(["fan", "fan.0.each", "fan.1.each", "par", "par.a.s", "prep"]);
    expect(await readRunLog("shape-run", { root: r })).toEqual(result.runLog);
    expect(pipeline.source).toBe(resolve("test/execute/run.test.ts"));
  });

  it("names an unnamed pipeline after its file's folder and records the source for retries", async () => {
    const r = root();
    const result = await runPipeline(retryMe, { root: r });
    expect(result.status).toBe("FAIL");
    expect(result.runLog.pipeline).toBe("retry-me");
  });

  it("refuses an existing run id, a bad run id and unresolved references before writing anything", async () => {
    const r = root();
    const p = new Pipeline({ steps: [new Stub({ name: "s" })] });
    await p.execute({ root: r, runId: "dup" });
    await expect(p.execute({ root: r, runId: "dup" })).rejects.toBeInstanceOf(RunExistsError);
    await expect(p.execute({ root: r, runId: "bad id" })).rejects.toBeInstanceOf(UsageError);
    const dangling = new Pipeline({ steps: [new MapStep({ name: "m", iterateOn: "nothing", iterateAs: "x", branch: new Stub({ name: "s" }).asPipeline() })] });
    const err = await dangling.execute({ root: r, runId: "never-created" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DefinitionError);
    expect((err as Error).message).toMatch(/step "m": iterateOn "nothing" is not a parameter in scope/);
    await expect(readRunLog("never-created", { root: r })).rejects.toThrow(/not found/);
  });
});

describe("retryRun", () => {
  it("re-runs only what failed, numbering attempts on, under executions retry-1, retry-2", async () => {
    const r = root();
    calls.first = calls.second = 0;
    const first = await runPipeline(retryMe, { root: r, runId: "to-retry" });
    expect(first.status).toBe("FAIL");
    await expect(retryRun("to-retry", { root: r })).resolves.toMatchObject({ status: "FAIL" });
    process.env.RETRY_ME_OK = "1";
    const again = await retryRun("to-retry", { root: r });
    expect(again.status).toBe("SUCCESS");
    expect(calls).toEqual({ first: 1, second: 3 });
    expect(again.runLog.steps.first!.attempts).toHaveLength(1);
    expect(again.runLog.steps.second!.attempts.map((a) => [a.attempt, a.status])).toEqual([[1, "FAIL"], [2, "FAIL"], [3, "SUCCESS"]]);
    expect(again.parameters).toEqual({ a: 1, b: 2 });
    const keys = (await fsStores(r).runLog.attempts("to-retry", "second")).map((a) => a.key);
    expect(keys).toEqual(["local-0", "retry-1-0", "retry-2-0"]);
    expectContractShape(again.runLog);
    await expect(retryRun("to-retry", { root: r })).rejects.toThrow(/already succeeded: nothing to retry/);
  });

  it("refuses when the pipeline changed since the run", async () => {
    const r = root();
    await runPipeline(retryMe, { root: r, runId: "changed" });
    const other = new Pipeline({ steps: [new Stub({ name: "first" })] });
    await expect(retryRun("changed", { root: r, pipeline: other })).rejects.toThrow(/pipeline changed since run changed \(dagHash [0-9a-f]{12} ≠ [0-9a-f]{12}\); start a new run/);
  });

  it("refuses an unknown run", async () => {
    await expect(retryRun("nope", { root: root() })).rejects.toThrow(/run "nope" not found/);
  });
});

describe("catalog", () => {
  it("puts files with md5 and size, gets names and globs back into a later step's working directory", async () => {
    const r = root();
    const workDir = tempDir();
    const pipeline = new Pipeline({ steps: [
      new FunctionTask({ name: "write", catalog: new Catalog({ put: ["data/*.csv", "notes.txt"] }), function: () => {
        mkdirSync(join(workDir, "data"), { recursive: true });
        writeFileSync(join(workDir, "data/a.csv"), "a,b\n1,2\n");
        writeFileSync(join(workDir, "data/b.csv"), "x\n");
        writeFileSync(join(workDir, "notes.txt"), "hello");
      } }),
      new FunctionTask({ name: "hashonly", catalog: new Catalog({ put: ["big.bin"], storeCopy: false }), function: () => writeFileSync(join(workDir, "big.bin"), "bytes") }),
      new FunctionTask({ name: "clear", function: () => {
        for (const f of ["data/a.csv", "data/b.csv", "notes.txt"]) writeFileSync(join(workDir, f), "overwritten");
      } }),
      new FunctionTask({ name: "read", returns: ["text"], catalog: new Catalog({ get: ["data/*.csv", "notes.txt"] }), function: () =>
        readFileSync(join(workDir, "data/a.csv"), "utf8") + readFileSync(join(workDir, "notes.txt"), "utf8") }),
    ] });
    const result = await runPipeline(pipeline, { root: r, workDir });
    expect(result.status).toBe("SUCCESS");
    expect(result.parameters.text).toBe("a,b\n1,2\nhello");
    expect(result.runLog.steps.write!.catalog).toEqual([
      { name: "data/a.csv", stage: "put", md5: md5("a,b\n1,2\n"), size: 8 },
      { name: "data/b.csv", stage: "put", md5: md5("x\n"), size: 2 },
      { name: "notes.txt", stage: "put", md5: md5("hello"), size: 5 },
    ]);
    expect(result.runLog.steps.hashonly!.catalog).toEqual([{ name: "big.bin", stage: "put", md5: expect.stringMatching(/^[0-9a-f]{32}$/), size: 5, stored: false }]);
    expect(result.runLog.steps.read!.catalog.map((c) => [c.name, c.stage])).toEqual([["data/a.csv", "get"], ["data/b.csv", "get"], ["notes.txt", "get"]]);
  });

  it("fails a step whose put names a file it did not create, or whose get names a file no step put", async () => {
    const workDir = tempDir();
    const missingPut = await runPipeline(new Pipeline({ steps: [new FunctionTask({ name: "w", catalog: new Catalog({ put: ["out.txt"] }), function: () => null })] }), { root: root(), workDir });
    expect(missingPut.runLog.steps.w!.attempts[0]!.error!.message).toMatch(/catalog.put: "out.txt" was not found in the working directory/);
    const missingGet = await runPipeline(new Pipeline({ steps: [new FunctionTask({ name: "r", catalog: new Catalog({ get: ["in.txt"] }), function: () => null })] }), { root: root(), workDir });
    expect(missingGet.runLog.steps.r!.attempts[0]!.error!.message).toMatch(/catalog.get: "in.txt" is not in run .*'s catalog/);
  });

  it("refuses to put through a symlink leading outside the working directory", async () => {
    const workDir = tempDir();
    const outside = tempDir();
    writeFileSync(join(outside, "secret.txt"), "secret");
    symlinkSync(outside, join(workDir, "link"));
    const result = await runPipeline(new Pipeline({ steps: [new FunctionTask({ name: "leak", catalog: new Catalog({ put: ["link/secret.txt"] }), function: () => null })] }), { root: root(), workDir });
    expect(result.status).toBe("FAIL");
    expect(result.runLog.steps.leak!.attempts[0]!.error).toMatchObject({ name: "UnsafePathError", message: expect.stringMatching(/symlink that leads outside the working directory/) });
  });

  it("refuses a symlinked file leading outside, named plainly or matched by a glob, and stores one that stays inside", async () => {
    const outside = tempDir();
    writeFileSync(join(outside, "passwd"), "root:x:0:0");
    for (const pattern of ["esc.txt", "*.txt"]) {
      const workDir = tempDir();
      symlinkSync(join(outside, "passwd"), join(workDir, "esc.txt"));
      const result = await runPipeline(new Pipeline({ steps: [new FunctionTask({ name: "leak", catalog: new Catalog({ put: [pattern] }), function: () => null })] }), { root: root(), workDir });
      expect(result.runLog.steps.leak!.attempts[0]!.error).toMatchObject({ name: "UnsafePathError", message: expect.stringMatching(/"esc.txt" is a symlink that leads outside the working directory/) });
    }
    const workDir = tempDir();
    writeFileSync(join(workDir, "real.txt"), "inside");
    symlinkSync("real.txt", join(workDir, "alias.txt"));
    const ok = await runPipeline(new Pipeline({ steps: [new FunctionTask({ name: "keep", catalog: new Catalog({ put: ["alias.txt"] }), function: () => null })] }), { root: root(), workDir });
    expect(ok.status).toBe("SUCCESS");
    expect(ok.runLog.steps.keep!.catalog).toMatchObject([{ name: "alias.txt", stage: "put", size: 6 }]);
  });
});
