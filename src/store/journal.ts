/**
 * The run-log journal: an append-only file of attempt records, one line each, written by the one
 * process that runs an execution (the local executor, holding the run's lease). A step attempt then
 * costs one write(2) to an open file instead of creating a file (mkdir, open, write, close, link,
 * unlink — ≈ 0.6–2 ms of file-system metadata work on a busy disk, against ≈ 5 µs for an append).
 *
 * Format (UTF-8): a first line `runnable-journal 1`, then one line per record:
 * `<stepPath>\t<attemptKey>\t<record JSON>\n`. Step paths and attempt keys are run-log key segments
 * (no tab, no newline) and JSON text has no raw newline, so a line is self-delimiting. A line is
 * acknowledged once its newline is written: a reader ignores a last line without one (a writer that
 * died mid-write), and a writer whose append failed never writes to that file again.
 */
import { closeSync, writeSync } from "node:fs";
import type { AttemptRecord } from "./types.js";

export const JOURNAL_HEADER = "runnable-journal 1";
/** Journal files end in this (never `.json`, so the listing of create-only objects leaves them out). */
export const JOURNAL_SUFFIX = ".jsonl";

/** What `BlobStore.openJournal` returns: a file only this writer appends to. */
export interface JournalWriter {
  /** Appends `text` whole before returning (the OS holds the bytes, as after any write here); throws on failure. */
  append(text: string): void;
  close(): void;
}

/** A journal on an open file descriptor (opened O_APPEND | O_CREAT | O_EXCL by the caller). */
export class FileJournal implements JournalWriter {
  private closed = false;

  constructor(private readonly fd: number) {
    this.append(`${JOURNAL_HEADER}\n`);
  }

  append(text: string): void {
    if (this.closed) throw new Error("the run-log journal is closed");
    const bytes = Buffer.from(text, "utf8");
    try {
      // write(2) may write less than asked (a signal, a full disk): go on from where it stopped.
      for (let done = 0; done < bytes.length; ) done += writeSync(this.fd, bytes, done, bytes.length - done);
    } catch (e) {
      // A partial line may be on disk now: nothing more goes into this file, so it stays its last line.
      this.close();
      throw e;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      closeSync(this.fd);
    } catch {
      // Already unusable: the bytes written so far are what the file holds.
    }
  }
}

/** One journal line for an attempt record. */
export function journalLine(stepPath: string, record: AttemptRecord): string {
  return `${stepPath}\t${record.key}\t${JSON.stringify(record)}\n`;
}

/** One record read back from a journal. */
export interface JournalEntry {
  stepPath: string;
  key: string;
  record: AttemptRecord;
}

/**
 * The records of a journal's text, in the order written. A last line without its newline was never
 * acknowledged and is skipped; any other line that does not parse is an error naming the journal.
 */
export function parseJournal(name: string, text: string): JournalEntry[] {
  const out: JournalEntry[] = [];
  const end = text.lastIndexOf("\n");
  if (end < 0) return out; // not even the header line is complete
  const lines = text.slice(0, end).split("\n");
  if (lines[0] !== JOURNAL_HEADER) throw new Error(`run-log journal ${name} does not start with "${JOURNAL_HEADER}"`);
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const a = line.indexOf("\t");
    const b = a < 0 ? -1 : line.indexOf("\t", a + 1);
    let record: AttemptRecord | undefined;
    try {
      if (b > 0) record = JSON.parse(line.slice(b + 1)) as AttemptRecord;
    } catch {
      record = undefined;
    }
    if (!record || record.key !== line.slice(a + 1, b)) throw new Error(`run-log journal ${name}: line ${i + 1} is not a record`);
    out.push({ stepPath: line.slice(0, a), key: record.key, record });
  }
  return out;
}
