/**
 * Store reliability over the S3 protocol (s3rver on 127.0.0.1): concurrent writers, redelivered
 * attempts and injected faults must never lose or tear a run-log entry.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BlobRunLogStore, FsBlobStore, S3BlobStore, storesOn } from "../../src/store/index.js";
import type { StepType } from "../../src/sdk/runlog.js";
import type { AttemptRecord, BlobStore, RunLogStore } from "../../src/store/types.js";
import { attempt, header } from "../conformance/store.suite.js";
import { FaultyBlobStore, InjectedFault, retrying } from "../helpers/faulty-blob.js";
import { startS3rver, type S3rverHandle } from "../helpers/s3rver.js";

let s3: S3rverHandle;
let s3Conditional: S3rverHandle;
let scratch: string;
let prefixes = 0;
const s3Blob = (): S3BlobStore => new S3BlobStore({ client: s3.client, bucket: s3.bucket, prefix: `rel${prefixes++}` });

beforeAll(async () => {
  [s3, s3Conditional] = await Promise.all([startS3rver(), startS3rver({ conditionalWrites: true })]);
  scratch = await mkdtemp(path.join(tmpdir(), "runnable-rel-"));
});
afterAll(async () => {
  await s3?.stop();
  await s3Conditional?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});


/** One run with a 10-branch Parallel, two steps per branch, written as concurrent handlers would. */
async function writeRun(runLog: RunLogStore, runId: string, branches = 10): Promise<void> {
  await retrying(() => runLog.createRun(header(runId)));
  await retrying(() => runLog.startExecution(runId, { id: "exec", startedAt: "2026-01-01T00:00:00.000Z" }));
  await Promise.all(
    Array.from({ length: branches }, async (_, b) => {
      for (const step of ["prep", "train"]) {
        const record = attempt("exec-0", 1, "SUCCESS", { outputParameters: { [`${step}_${b}`]: b } });
        const stored = await retrying(() => runLog.recordAttempt(runId, `par.b${b}.${step}`, record));
        expect(stored).toEqual(record);
      }
    }),
  );
  await retrying(() => runLog.recordAttempt(runId, "par", attempt("exec-0", 1, "SUCCESS", { type: "parallel" })));
  await retrying(() =>
    runLog.endExecution(runId, { id: "exec", endedAt: "2026-01-01T00:01:00.000Z", status: "SUCCESS", finalParameters: { done: true } }),
  );
}

async function expectComplete(runLog: RunLogStore, runId: string, branches = 10): Promise<void> {
  const log = await runLog.readRunLog(runId);
  expect(log.status).toBe("SUCCESS");
  expect(Object.keys(log.steps).length).toBe(1 + 2 * branches);
  for (let b = 0; b < branches; b++) {
    for (const step of ["prep", "train"]) {
      const s = log.steps[`par.b${b}.${step}`];
      expect(s?.attempts.map((a) => [a.attempt, a.status, a.outputParameters])).toEqual([[1, "SUCCESS", { [`${step}_${b}`]: b }]]);
    }
  }
}

describe("fault-injecting wrapper", () => {
  it("fail-before throws without writing", async () => {
    const faulty = new FaultyBlobStore(s3Blob(), { at: { 1: "fail-before" } });
    await expect(faulty.put("a", "1")).rejects.toThrow(/injected fail-before fault on put\(a\) at call 1/);
    expect(await faulty.get("a")).toBeUndefined();
    expect(faulty.injected.map((e) => e.call)).toEqual([1]);
  });

  it("fail-after performs the write, throttle is an S3-like SlowDown 503, and the seed replays", async () => {
    const faulty = new FaultyBlobStore(s3Blob(), { at: { 1: "fail-after", 2: "throttle" } });
    await expect(faulty.put("k", "v")).rejects.toBeInstanceOf(InjectedFault);
    const throttled = await faulty.get("k").catch((e: InjectedFault) => e);
    expect(throttled).toMatchObject({ name: "SlowDown", $metadata: { httpStatusCode: 503 } });
    expect(Buffer.from((await faulty.get("k"))!).toString()).toBe("v");
    const calls = async (seed: number): Promise<number[]> => {
      const f = new FaultyBlobStore(s3Blob(), { rate: 0.3, seed });
      for (let i = 0; i < 40; i++) await f.list("x/").catch(() => undefined);
      return f.injected.map((e) => e.call);
    };
    const [a, b, c] = [await calls(7), await calls(7), await calls(8)];
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a.length).toBeGreaterThan(0);
  });
});

describe("concurrency", () => {
  it("20 runs × 10 parallel branches on one bucket lose no entries", async () => {
    const stores = storesOn(s3Blob());
    const ids = Array.from({ length: 20 }, (_, i) => `20260101-${String(i).padStart(2, "0")}`);
    await Promise.all(ids.map((id) => writeRun(stores.runLog, id)));
    expect(await stores.runLog.listRuns()).toEqual(ids);
    for (const id of ids) await expectComplete(stores.runLog, id);
  });

  it("20 runs × 10 parallel branches through one journaling filesystem store lose no entries", async () => {
    const blob = new FsBlobStore(path.join(scratch, "journal-20x10"));
    const runLog = new BlobRunLogStore(blob, { journal: true });
    const ids = Array.from({ length: 20 }, (_, i) => `20260103-${String(i).padStart(2, "0")}`);
    await Promise.all(ids.map((id) => writeRun(runLog, id)));
    // Read by a store that wrote nothing (as `runnable logs` would).
    const reader = storesOn(blob).runLog;
    expect(await reader.listRuns()).toEqual(ids);
    for (const id of ids) await expectComplete(reader, id);
  });

  it("under ≥ 200 injected faults, retrying writers still leave every run complete and consistent", async () => {
    const faulty = new FaultyBlobStore(s3Blob(), { rate: 0.35, seed: 2026 });
    const stores = storesOn(faulty);
    const ids = Array.from({ length: 20 }, (_, i) => `20260102-${String(i).padStart(2, "0")}`);
    await Promise.all(ids.map((id) => writeRun(stores.runLog, id)));
    expect(faulty.injected.length).toBeGreaterThanOrEqual(200);
    expect(new Set(faulty.injected.map((e) => e.kind))).toEqual(new Set(["fail-before", "fail-after", "throttle"]));
    faulty.setPlan({});
    expect(await stores.runLog.listRuns()).toEqual(ids);
    for (const id of ids) await expectComplete(stores.runLog, id);
  });
});

const KINDS: StepType[] = ["task", "stub", "parallel", "map", "conditional", "success", "fail"];

function duplicateDelivery(name: string, blob: () => BlobStore, strict: boolean, journal = false): void {
  const storesOn = (b: BlobStore) => ({ runLog: new BlobRunLogStore(b, { journal }) });
  describe(`duplicate delivery (${name})`, () => {
    it.each(KINDS)("a %s attempt delivered twice in a row is recorded once, as first written", async (type) => {
      const { runLog } = storesOn(blob());
      await runLog.createRun(header("dup"));
      const first = attempt("exec-0", 1, "SUCCESS", { type, outputParameters: { v: "first" } });
      const second = { ...first, endedAt: "2026-01-01T00:00:09.000Z", outputParameters: { v: "second" } };
      expect(await runLog.recordAttempt("dup", "step", first)).toEqual(first);
      expect(await runLog.recordAttempt("dup", "step", second)).toEqual(first);
      expect((await runLog.readRunLog("dup")).steps.step?.attempts).toHaveLength(1);
      expect(await runLog.attempts("dup", "step")).toEqual([first]);
    });

    it.each(KINDS)("a %s attempt delivered three times at once leaves one whole record", async (type) => {
      const { runLog } = storesOn(blob());
      await runLog.createRun(header("dup3"));
      const candidates: AttemptRecord[] = [1, 2, 3].map((n) =>
        attempt("exec-0", 1, "SUCCESS", { type, outputParameters: { v: `delivery-${n}`, pad: "x".repeat(2000 * n) } }),
      );
      const returned = await Promise.all(candidates.map((c) => runLog.recordAttempt("dup3", "step", c)));
      const stored = await runLog.attempts("dup3", "step");
      expect(stored).toHaveLength(1);
      expect(candidates).toContainEqual(stored[0]);
      // Later readers all agree on it.
      for (let i = 0; i < 3; i++) expect(await runLog.attempts("dup3", "step")).toEqual(stored);
      const log = await runLog.readRunLog("dup3");
      expect(log.steps.step?.attempts).toHaveLength(1);
      if (strict) for (const r of returned) expect(r).toEqual(stored[0]);
    });
  });
}

// Plain s3rver ignores If-None-Match: the log still keeps one whole record, but late writers may
// each believe they won. Where the server honours it (as S3 does), every writer gets the one record.
duplicateDelivery("s3rver", s3Blob, false);
duplicateDelivery("s3rver honouring If-None-Match", () => new S3BlobStore({ client: s3Conditional.client, bucket: s3Conditional.bucket, prefix: `c${prefixes++}` }), true);
duplicateDelivery("filesystem", () => new FsBlobStore(path.join(scratch, `fs${prefixes++}`)), true);
// The local executor's store: attempts appended to a journal instead of one file each.
duplicateDelivery("filesystem, journaled attempts", () => new FsBlobStore(path.join(scratch, `fsj${prefixes++}`)), true, true);
