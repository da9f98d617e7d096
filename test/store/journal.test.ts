/**
 * The run-log journal (store/journal.ts) as a reader meets it after crashes and failed writes: a
 * torn last line was never acknowledged and is skipped, a damaged line is an error naming the file,
 * and a failed append leaves the journal closed and the next record in a new one — no record that a
 * writer was told is stored goes missing, none appears twice.
 */
import { appendFileSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPipeline } from "../../src/execute/index.js";
import { FunctionTask, Pipeline } from "../../src/sdk/index.js";
import { BlobRunLogStore, FsBlobStore } from "../../src/store/index.js";
import type { JournalWriter } from "../../src/store/journal.js";
import { attempt, header } from "../conformance/store.suite.js";

let scratch: string;
let n = 0;
beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), "runnable-journal-"));
});
afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

async function journaled(): Promise<{ blob: FsBlobStore; writer: BlobRunLogStore; journalDir: string }> {
  const blob = new FsBlobStore(path.join(scratch, `j${n++}`));
  const writer = new BlobRunLogStore(blob, { journal: true });
  await writer.createRun(header("r"));
  return { blob, writer, journalDir: path.join(blob.root, "runs", "r", "journal") };
}

const journalFiles = (dir: string): string[] => readdirSync(dir).sort();

describe("run-log journal", () => {
  it("records attempts as lines of one journal (no file per attempt) that a fresh reader assembles", async () => {
    const { blob, writer, journalDir } = await journaled();
    await writer.recordAttempt("r", "a", attempt("local-0", 1, "FAIL"));
    await writer.recordAttempt("r", "a", attempt("local-1", 2, "SUCCESS"));
    await writer.recordAttempt("r", "m.0.s", attempt("local-0", 1, "SUCCESS"));
    const files = journalFiles(journalDir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^\d+-[0-9a-f]{12}\.jsonl$/);
    expect(readFileSync(path.join(journalDir, files[0]!), "utf8").split("\n")).toHaveLength(5); // header, 3 records, ""
    const reader = new BlobRunLogStore(blob);
    expect((await reader.attempts("r", "a")).map((a) => [a.attempt, a.status])).toEqual([[1, "FAIL"], [2, "SUCCESS"]]);
    expect(Object.keys((await reader.readRunLog("r")).steps).sort()).toEqual(["a", "m.0.s"]);
  });

  it("skips a torn last line (a writer killed mid-write) and keeps every line before it", async () => {
    const { blob, writer, journalDir } = await journaled();
    await writer.recordAttempt("r", "a", attempt("local-0", 1, "SUCCESS"));
    const file = path.join(journalDir, journalFiles(journalDir)[0]!);
    appendFileSync(file, 'b\tlocal-0\t{"key":"local-0","type":"ta');
    const log = await new BlobRunLogStore(blob).readRunLog("r");
    expect(Object.keys(log.steps)).toEqual(["a"]);
  });

  it("refuses a damaged line in the middle with an error naming the journal", async () => {
    const { blob, writer, journalDir } = await journaled();
    await writer.recordAttempt("r", "a", attempt("local-0", 1, "SUCCESS"));
    const file = path.join(journalDir, journalFiles(journalDir)[0]!);
    writeFileSync(file, readFileSync(file, "utf8").replace('"status":"SUCCESS"', '"status":SUCC'));
    await expect(new BlobRunLogStore(blob).readRunLog("r")).rejects.toThrow(/run-log journal runs\/r\/journal\/.*\.jsonl: line 2 is not a record/);
  });

  it("a failed append throws, is not recorded, and the next record goes to a new journal", async () => {
    const { blob, writer, journalDir } = await journaled();
    await writer.recordAttempt("r", "a", attempt("local-0", 1, "SUCCESS"));
    // The disk fills up while the next line is written: half of it reaches the file.
    const failing = (inner: JournalWriter): JournalWriter => ({
      append: (text) => {
        inner.append(text.slice(0, 20));
        inner.close();
        throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
      },
      close: () => inner.close(),
    });
    // Swap the open journal for one that fails (the writer's journal is private; reach it as a test would a disk).
    const state = await (writer as unknown as { journaling: Map<string, Promise<{ writer?: JournalWriter }>> }).journaling.get("r")!;
    state.writer = failing(state.writer!);
    await expect(writer.recordAttempt("r", "b", attempt("local-0", 1, "SUCCESS"))).rejects.toThrow(/ENOSPC/);
    await writer.recordAttempt("r", "b", attempt("local-0", 1, "SUCCESS", { outputParameters: { second: true } }));
    await writer.recordAttempt("r", "c", attempt("local-0", 1, "SUCCESS"));
    expect(journalFiles(journalDir)).toHaveLength(2);
    const log = await new BlobRunLogStore(blob).readRunLog("r");
    expect(Object.keys(log.steps).sort()).toEqual(["a", "b", "c"]);
    expect(log.steps.b?.attempts.map((a) => a.outputParameters)).toEqual([{ second: true }]);
  });

  it("an object record of the same key wins over a journal line (objects are create-only and came first)", async () => {
    const { blob, writer } = await journaled();
    await new BlobRunLogStore(blob).recordAttempt("r", "a", attempt("local-0", 1, "SUCCESS", { outputParameters: { from: "object" } }));
    // A journaling writer that loads the run first sees the object and keeps it.
    expect((await writer.recordAttempt("r", "a", attempt("local-0", 1, "SUCCESS", { outputParameters: { from: "journal" } }))).outputParameters).toEqual({ from: "object" });
    expect((await new BlobRunLogStore(blob).attempts("r", "a")).map((a) => a.outputParameters)).toEqual([{ from: "object" }]);
  });

  it("a local run writes its attempts to one journal and no per-attempt files", async () => {
    const root = path.join(scratch, "local-run");
    const pipeline = new Pipeline({
      name: "journal",
      steps: [
        new FunctionTask({ name: "one", function: () => 1, returns: ["x"] }),
        new FunctionTask({ name: "two", function: ({ x }: { x: number }) => x + 1, returns: ["y"] }),
      ],
    });
    const result = await runPipeline(pipeline, { root });
    expect(result.status).toBe("SUCCESS");
    const run = path.join(root, "runs", result.runId);
    expect(readdirSync(run).sort()).toEqual(["executions", "graph.json", "header.json", "journal"]);
    const [journal] = journalFiles(path.join(run, "journal"));
    const lines = readFileSync(path.join(run, "journal", journal!), "utf8").trimEnd().split("\n");
    expect(lines.map((l) => l.split("\t").slice(0, 2).join(" "))).toEqual(["runnable-journal 1", "one local-0", "two local-0"]);
    expect(result.parameters).toMatchObject({ x: 1, y: 2 });
  });
});
