/**
 * One conformance suite for every store backend (memory, filesystem, S3 over s3rver): the same
 * assertions, registered by `storeConformance(name, setup)` from a small test file per backend.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunExistsError, RunNotFoundError, UnsafePathError } from "../../src/sdk/errors.js";
import { storesOn } from "../../src/store/index.js";
import type { AttemptRecord, RunHeader, Stores } from "../../src/store/types.js";

/** A backend under test. */
export interface StoreBackend {
  /** Fresh, empty stores for one test (e.g. a new directory, or a new prefix in the bucket). */
  fresh(): Stores | Promise<Stores>;
  /**
   * Whether concurrent `ifAbsent` puts of one key have exactly one winner. True for memory and the
   * filesystem; false for s3rver, which ignores `If-None-Match` (real S3 honours it).
   */
  atomicCreateOnly: boolean;
  /** Step attempts are appended to a journal (store/journal.ts) rather than written as objects. */
  journaled?: boolean;
  close?(): Promise<void>;
}

const text = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : Buffer.from(b).toString("utf8"));
const md5 = (b: Uint8Array): string => createHash("md5").update(b).digest("hex");

export function header(runId: string, startedAt = "2026-01-01T00:00:00.000Z"): RunHeader {
  return {
    runId, pipeline: "p", tag: "t", startedAt, dagHash: "d",
    parameters: { a: 1 }, codeIdentity: { type: "none" },
  };
}

export function attempt(key: string, n: number, status: "SUCCESS" | "FAIL", extra: Partial<AttemptRecord> = {}): AttemptRecord {
  return {
    key, type: "task", catalog: [], attempt: n, status,
    startedAt: `2026-01-01T00:00:0${n}.000Z`, endedAt: `2026-01-01T00:00:0${n}.500Z`,
    inputParameters: { a: 1 }, outputParameters: status === "SUCCESS" ? { out: n } : {}, metrics: {},
    error: status === "FAIL" ? { name: "Error", message: `boom ${n}` } : null, ...extra,
  };
}

/** Registers the conformance tests for one backend. */
export function storeConformance(name: string, setup: () => Promise<StoreBackend>): void {
  describe(`store conformance: ${name}`, () => {
    let backend: StoreBackend;
    let work: string;
    beforeAll(async () => {
      backend = await setup();
      work = await mkdtemp(path.join(tmpdir(), "runnable-conf-"));
    });
    afterAll(async () => {
      await backend?.close?.();
      if (work) await rm(work, { recursive: true, force: true });
    });

    describe("blob", () => {
      it("gets what was put (strings and bytes), undefined for a missing key, and overwrites", async () => {
        const { blob } = await backend.fresh();
        expect(await blob.put("a/b.json", '{"x":1}')).toBe(true);
        expect(await blob.put("a/bin", Uint8Array.from([0, 255, 7]))).toBe(true);
        expect(text(await blob.get("a/b.json"))).toBe('{"x":1}');
        expect([...(await blob.get("a/bin"))!]).toEqual([0, 255, 7]);
        expect(await blob.get("a/missing")).toBeUndefined();
        expect(await blob.get("a")).toBeUndefined();
        await blob.put("a/b.json", "second");
        expect(text(await blob.get("a/b.json"))).toBe("second");
      });

      it("ifAbsent creates once and leaves an existing key untouched", async () => {
        const { blob } = await backend.fresh();
        expect(await blob.put("k", "first", { ifAbsent: true })).toBe(true);
        expect(await blob.put("k", "second", { ifAbsent: true })).toBe(false);
        expect(text(await blob.get("k"))).toBe("first");
      });

      it("concurrent create-only writers leave one complete value that a winner wrote", async () => {
        const { blob } = await backend.fresh();
        const bodies = Array.from({ length: 12 }, (_, i) => `writer-${i}-${"x".repeat(1000 * i)}`);
        const won = await Promise.all(bodies.map((b) => blob.put("race/one", b, { ifAbsent: true })));
        const stored = text(await blob.get("race/one"));
        const winners = bodies.filter((_, i) => won[i]);
        expect(winners.length).toBeGreaterThanOrEqual(1);
        if (backend.atomicCreateOnly) expect(winners).toEqual([stored]);
        else expect(winners).toContain(stored);
        // After the race, every later create-only attempt loses.
        expect(await blob.put("race/one", "late", { ifAbsent: true })).toBe(false);
      });

      it("rejects keys that are absolute or contain '..'", async () => {
        const { blob } = await backend.fresh();
        await expect(blob.put("../escape", "x")).rejects.toThrow(/\.\./);
        await expect(blob.put("/abs", "x")).rejects.toThrow(/relative/);
        await expect(blob.get("a/../../b")).rejects.toThrow(/\.\./);
      });

      it("lists every key under a prefix, sorted, across pages (1,050 keys)", async () => {
        const { blob } = await backend.fresh();
        const keys = Array.from({ length: 1050 }, (_, i) => `many/${String(i).padStart(4, "0")}`);
        for (let i = 0; i < keys.length; i += 100) await Promise.all(keys.slice(i, i + 100).map((k) => blob.put(k, "v")));
        await blob.put("many-not/x", "v");
        await blob.put("other/deep/er/k", "v");
        expect(await blob.list("many/")).toEqual(keys);
        expect(await blob.list("other/")).toEqual(["other/deep/er/k"]);
        expect(await blob.list("oth")).toEqual(["other/deep/er/k"]);
        expect(await blob.list("nothing/")).toEqual([]);
        expect(await blob.listPrefixes?.("")).toEqual(["many-not/", "many/", "other/"]);
      });

      it("streams a file in and out with the same md5 as node:crypto, creating parent folders", async () => {
        const { blob } = await backend.fresh();
        const bytes = randomBytes(9 * 1024 * 1024 + 123); // over one 8 MiB multipart part
        const src = path.join(work, `src-${randomBytes(4).toString("hex")}.bin`);
        await writeFile(src, bytes);
        expect(await blob.putFile("files/big.bin", src)).toEqual({ md5: md5(bytes), size: bytes.length });
        const dest = path.join(work, randomBytes(4).toString("hex"), "nested", "big.bin");
        expect(await blob.getFile("files/big.bin", dest)).toEqual({ md5: md5(bytes), size: bytes.length });
        expect(md5(await readFile(dest))).toBe(md5(bytes));
        expect(await blob.getFile("files/none.bin", path.join(work, "none.bin"))).toBeUndefined();
        // Streamed out for downloads (the web UI): same bytes, the size known before reading.
        const opened = await blob.openRead("files/big.bin");
        expect(opened?.size).toBe(bytes.length);
        const chunks: Buffer[] = [];
        for await (const chunk of opened!.body) chunks.push(chunk as Buffer);
        expect(md5(Buffer.concat(chunks))).toBe(md5(bytes));
        expect(await blob.openRead("files/none.bin")).toBeUndefined();
        expect(await blob.openRead("files")).toBeUndefined();
        await writeFile(src, "");
        expect(await blob.putFile("files/empty", src)).toEqual({ md5: md5(new Uint8Array()), size: 0 });
        expect(await blob.list("files/")).toEqual(["files/big.bin", "files/empty"]);
        await expect(blob.putFile("files/none", path.join(work, "no-such-file"))).rejects.toThrow(/ENOENT/);
        expect(await blob.list("files/")).toEqual(["files/big.bin", "files/empty"]);
      });
    });

    describe("run log", () => {
      it("creates a run once: a second create with the same id is refused", async () => {
        const { runLog } = await backend.fresh();
        await runLog.createRun(header("r1"));
        expect(await runLog.getHeader("r1")).toEqual(header("r1"));
        await expect(runLog.createRun({ ...header("r1"), tag: "other" })).rejects.toBeInstanceOf(RunExistsError);
        expect((await runLog.getHeader("r1"))?.tag).toBe("t");
      });

      it("reading an unknown run throws RunNotFoundError naming the run", async () => {
        const { runLog } = await backend.fresh();
        await expect(runLog.readRunLog("nope")).rejects.toBeInstanceOf(RunNotFoundError);
        await expect(runLog.readRunLog("nope")).rejects.toThrow(/run "nope" not found/);
        expect(await runLog.getHeader("nope")).toBeUndefined();
      });

      it("a run is RUNNING until its execution ends, then takes the end record's status", async () => {
        const { runLog } = await backend.fresh();
        await runLog.createRun(header("r2"));
        expect((await runLog.readRunLog("r2")).status).toBe("RUNNING");
        await runLog.startExecution("r2", { id: "local", startedAt: "2026-01-01T00:00:00.000Z" });
        const running = await runLog.readRunLog("r2");
        expect([running.status, running.endedAt]).toEqual(["RUNNING", null]);
        await runLog.endExecution("r2", { id: "local", endedAt: "2026-01-01T00:01:00.000Z", status: "SUCCESS", finalParameters: { a: 1, b: 2 } });
        const done = await runLog.readRunLog("r2");
        expect(done).toMatchObject({ runId: "r2", pipeline: "p", tag: "t", status: "SUCCESS", endedAt: "2026-01-01T00:01:00.000Z", dagHash: "d", parameters: { a: 1 }, finalParameters: { a: 1, b: 2 }, codeIdentity: { type: "none" } });
      });

      it("the newest execution decides the status (a retry is RUNNING, then its outcome)", async () => {
        const { runLog } = await backend.fresh();
        await runLog.createRun(header("r3"));
        await runLog.startExecution("r3", { id: "local", startedAt: "2026-01-01T00:00:00.000Z" });
        await runLog.endExecution("r3", { id: "local", endedAt: "2026-01-01T00:00:05.000Z", status: "FAIL", finalParameters: {} });
        expect((await runLog.readRunLog("r3")).status).toBe("FAIL");
        await runLog.startExecution("r3", { id: "retry-1", startedAt: "2026-01-01T00:10:00.000Z" });
        expect((await runLog.readRunLog("r3")).status).toBe("RUNNING");
        await runLog.endExecution("r3", { id: "retry-1", endedAt: "2026-01-01T00:10:05.000Z", status: "SUCCESS", finalParameters: { z: 1 } });
        expect(await runLog.readRunLog("r3")).toMatchObject({ status: "SUCCESS", finalParameters: { z: 1 } });
      });

      it("a redelivered attempt keeps the first record and returns it", async () => {
        const { runLog } = await backend.fresh();
        await runLog.createRun(header("r4"));
        const first = attempt("local-0", 1, "SUCCESS");
        expect(await runLog.recordAttempt("r4", "s", first)).toEqual(first);
        const again = await runLog.recordAttempt("r4", "s", { ...first, outputParameters: { out: "different" } });
        expect(again).toEqual(first);
        expect(await runLog.attempts("r4", "s")).toEqual([first]);
      });

      it("assembles steps: attempts by number, status and catalog of the last, internal fields dropped", async () => {
        const { runLog } = await backend.fresh();
        await runLog.createRun(header("r5"));
        const entry = { name: "f.csv", stage: "put" as const, md5: "m", size: 3 };
        await runLog.recordAttempt("r5", "train", attempt("local-1", 2, "SUCCESS", { catalog: [entry] }));
        await runLog.recordAttempt("r5", "train", attempt("local-0", 1, "FAIL"));
        await runLog.recordAttempt("r5", "par", attempt("local-0", 1, "SUCCESS", { type: "parallel", startedAt: "2026-01-01T00:00:00.000Z" }));
        await runLog.recordAttempt("r5", "par.a.x", attempt("local-0", 1, "SUCCESS"));
        await runLog.recordAttempt("r5", "fan.10.s", attempt("local-0", 1, "SUCCESS"));
        const log = await runLog.readRunLog("r5");
        expect(Object.keys(log.steps)).toEqual(["par", "fan.10.s", "par.a.x", "train"]);
        expect(log.steps.train).toEqual({
          type: "task", status: "SUCCESS", catalog: [entry],
          attempts: [1, 2].map((n) => {
            const { key: _k, type: _t, catalog: _c, ...rest } = attempt("x", n, n === 1 ? "FAIL" : "SUCCESS");
            return rest;
          }),
        });
        expect(log.steps.par?.type).toBe("parallel");
        const all = await runLog.allAttempts("r5");
        expect([...all.keys()].sort()).toEqual(["fan.10.s", "par", "par.a.x", "train"]);
        expect(all.get("train")?.map((a) => a.attempt)).toEqual([1, 2]);
        expect((await runLog.attempts("r5", "par")).length).toBe(1);
      });

      it("assembly stays exact across its snapshot cache: later records appear, a corrupt snapshot is ignored", async () => {
        const { runLog, blob } = await backend.fresh();
        await runLog.createRun(header("r6"));
        await runLog.startExecution("r6", { id: "local", startedAt: "2026-01-01T00:00:00.000Z" });
        await Promise.all(Array.from({ length: 40 }, (_, i) => runLog.recordAttempt("r6", `m.${i}.s`, attempt("local-0", 1, "SUCCESS"))));
        expect(Object.keys((await runLog.readRunLog("r6")).steps)).toHaveLength(40);
        // Attempt objects are cached in a snapshot; journaled attempts are one file already (no snapshot needed).
        if (backend.journaled) expect(await blob.list("runs/r6/")).toEqual(expect.arrayContaining([expect.stringMatching(/^runs\/r6\/journal\/.+\.jsonl$/)]));
        else expect(await blob.list("runs/r6/snapshot")).toEqual(["runs/r6/snapshot.json"]);
        await runLog.recordAttempt("r6", "m.0.s", attempt("local-1", 2, "FAIL"));
        await runLog.recordAttempt("r6", "late", attempt("local-0", 1, "SUCCESS"));
        await runLog.endExecution("r6", { id: "local", endedAt: "2026-01-01T00:01:00.000Z", status: "FAIL", finalParameters: {} });
        const after = await runLog.readRunLog("r6");
        expect([after.status, Object.keys(after.steps).length, after.steps["m.0.s"]?.status]).toEqual(["FAIL", 41, "FAIL"]);
        expect((await runLog.allAttempts("r6")).get("m.0.s")?.map((a) => a.attempt)).toEqual([1, 2]);
        await blob.put("runs/r6/snapshot.json", "{ torn");
        expect(await runLog.readRunLog("r6")).toEqual(after);
      });

      it("two stores on one backend (two processes) see each other's records, and neither's caller can alter them", async () => {
        const { blob } = await backend.fresh();
        const [a, b] = [storesOn(blob).runLog, storesOn(blob).runLog];
        await a.createRun(header("r7"));
        await a.recordAttempt("r7", "x", attempt("local-0", 1, "SUCCESS"));
        const seen = await a.readRunLog("r7");
        seen.steps.x!.attempts[0]!.outputParameters.out = "mutated by a caller";
        await b.recordAttempt("r7", "y", attempt("local-0", 1, "SUCCESS"));
        expect(await b.recordAttempt("r7", "x", attempt("local-0", 1, "FAIL"))).toEqual(attempt("local-0", 1, "SUCCESS"));
        const fromA = await a.readRunLog("r7");
        expect(Object.keys(fromA.steps).sort()).toEqual(["x", "y"]);
        expect(fromA.steps.x!.attempts[0]!.outputParameters).toEqual({ out: 1 });
        expect(await b.readRunLog("r7")).toEqual(fromA);
      });

      it("keeps the run's graph beside its header, and reports status without reading steps", async () => {
        const { runLog } = await backend.fresh();
        const graph = { version: 1 as const, name: "p", dagHash: "d", path: "", steps: [] };
        await runLog.createRun(header("g1"), graph);
        expect(await runLog.getGraph("g1")).toEqual(graph);
        expect(await runLog.getGraph("nope")).toBeUndefined();
        expect(await runLog.runStatus("g1")).toEqual({ header: header("g1"), status: "RUNNING", endedAt: null, executions: 0, spans: [] });
        await runLog.startExecution("g1", { id: "local", startedAt: "2026-01-01T00:00:00.000Z" });
        await runLog.endExecution("g1", { id: "local", endedAt: "2026-01-01T00:00:09.000Z", status: "FAIL", finalParameters: {} });
        await runLog.startExecution("g1", { id: "retry-1", startedAt: "2026-01-01T00:01:00.000Z" });
        expect(await runLog.runStatus("g1")).toMatchObject({
          status: "RUNNING", endedAt: null, executions: 2,
          // Each execution with its own times: the run's wall time is not any one of them.
          spans: [
            { id: "local", startedAt: "2026-01-01T00:00:00.000Z", endedAt: "2026-01-01T00:00:09.000Z", status: "FAIL" },
            { id: "retry-1", startedAt: "2026-01-01T00:01:00.000Z", endedAt: null, status: "RUNNING" },
          ],
        });
        // The graph is not a run-log record: assembly does not mistake it for one.
        expect((await runLog.readRunLog("g1")).steps).toEqual({});
        expect(await runLog.runStatus("nope")).toBeUndefined();
      });

      it("lists runs oldest first (ids sort by time)", async () => {
        const { runLog } = await backend.fresh();
        for (const id of ["20260102-b", "20260101-a", "20260103-c"]) await runLog.createRun(header(id));
        expect(await runLog.listRuns()).toEqual(["20260101-a", "20260102-b", "20260103-c"]);
      });
    });

    describe("catalog", () => {
      it("puts, gets and lists files by name with their md5", async () => {
        const { catalog } = await backend.fresh();
        const src = path.join(work, `c-${randomBytes(4).toString("hex")}.csv`);
        await writeFile(src, "a,b\n1,2\n");
        const digest = { md5: md5(Buffer.from("a,b\n1,2\n")), size: 8 };
        expect(await catalog.put("run1", "data/x.csv", src)).toEqual(digest);
        expect(await catalog.put("run1", "./y.csv", src)).toEqual(digest);
        const dest = path.join(work, randomBytes(4).toString("hex"), "x.csv");
        expect(await catalog.get("run1", "data/x.csv", dest)).toEqual(digest);
        expect(await readFile(dest, "utf8")).toBe("a,b\n1,2\n");
        expect(await catalog.get("run1", "missing.csv", dest)).toBeUndefined();
        const opened = await catalog.open("run1", "data/x.csv");
        const chunks: Buffer[] = [];
        for await (const chunk of opened!.body) chunks.push(chunk as Buffer);
        expect([opened!.size, Buffer.concat(chunks).toString()]).toEqual([8, "a,b\n1,2\n"]);
        expect(await catalog.open("run1", "missing.csv")).toBeUndefined();
        await expect(catalog.open("run1", "../etc/passwd")).rejects.toThrow(/UnsafePath|\.\./);
        expect(await catalog.list("run1")).toEqual(["data/x.csv", "y.csv"]);
        expect(await catalog.list("run2")).toEqual([]);
      });

      it("storeCopy false hashes the file without storing it", async () => {
        const { catalog } = await backend.fresh();
        const src = path.join(work, `n-${randomBytes(4).toString("hex")}`);
        await writeFile(src, "secret");
        expect(await catalog.put("run1", "big.bin", src, { storeCopy: false })).toEqual({ md5: md5(Buffer.from("secret")), size: 6 });
        expect(await catalog.list("run1")).toEqual([]);
        expect(await catalog.get("run1", "big.bin", path.join(work, "nothing"))).toBeUndefined();
      });

      it("refuses unsafe names with UnsafePathError", async () => {
        const { catalog } = await backend.fresh();
        for (const bad of ["../x", "/etc/passwd", "a\\b", ".objects/x", ""]) {
          await expect(catalog.put("run1", bad, path.join(work, "whatever"))).rejects.toBeInstanceOf(UnsafePathError);
        }
      });

      it("keeps objects and internal documents out of the file listing", async () => {
        const { catalog } = await backend.fresh();
        const ref = await catalog.putObject("run1", "fan.2.score", "model", Uint8Array.from([1, 2, 3]));
        expect(ref).toBe(".objects/fan.2.score/model.v8");
        expect([...(await catalog.getObject("run1", ref))!]).toEqual([1, 2, 3]);
        expect(await catalog.getObject("run1", ".objects/none/x.v8")).toBeUndefined();
        await expect(catalog.getObject("run1", "../run2/.objects/x.v8")).rejects.toThrow(/invalid object reference/);
        const key = await catalog.putInternal("run1", "map-items/fan.json", "[0,1]");
        expect(key).toBe("catalog/run1/.internal/map-items/fan.json");
        expect(await catalog.getInternal("run1", "map-items/fan.json")).toBe("[0,1]");
        expect(await catalog.list("run1")).toEqual([]);
      });
    });
  });
}
