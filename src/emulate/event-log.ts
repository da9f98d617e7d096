import { UsageError } from "../sdk/errors.js";
import type { ExecutionEvent } from "./machine.js";
import { openEmulatorStores, type EmulatorStorageOptions } from "./storage.js";

/**
 * The execution event log kept with each emulator run — state entered/exited, retries, catches,
 * map iterations, failures: what Step Functions' execution history would show — stored as an
 * internal catalog document per execution (`catalog/<runId>/.internal/events-<execution>.json`).
 * (The progress events the CLI prints come from handler invocations: progress.ts.)
 */

export interface StoredEventLog {
  execution: string;
  /** RUNNING while the execution runs (the log is written as it goes), or when its process died. */
  status: "SUCCEEDED" | "FAILED" | "ABORTED" | "RUNNING";
  error: { Error: string; Cause: string } | null;
  /** History events AWS would have recorded for this execution, and Step Functions' quota on them. */
  history?: { events: number; quota: number };
  events: ExecutionEvent[];
}

/** How often, at most, a running execution's event log is rewritten. */
export const EVENT_LOG_FLUSH_MS = 1000;

/**
 * Keeps an execution's stored event log current: rewritten at most every EVENT_LOG_FLUSH_MS while
 * events come in (a crash or kill -9 keeps what happened until shortly before), then once at the end.
 * Writes go one after another, so a late periodic write never replaces the final one.
 */
export class EventLogWriter {
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly write: (log: StoredEventLog) => Promise<void>, private readonly running: StoredEventLog) {}

  changed(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // Best effort: a failed interim write only loses what the final one will hold.
      this.writing = this.writing.then(() => this.write(this.running)).catch(() => undefined);
    }, EVENT_LOG_FLUSH_MS);
    this.timer.unref();
  }

  async end(log: StoredEventLog): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.writing;
    await this.write(log);
  }
}

/** Internal document name of an execution's event log. */
export function eventKey(execution: string): string {
  return `events-${execution}.json`;
}

/** Reads every execution's event log of an emulator run, oldest execution first. */
export async function readEventLog(runId: string, options: EmulatorStorageOptions & { root?: string } = {}): Promise<StoredEventLog[]> {
  const storage = await openEmulatorStores(options.root ?? ".runnable", options);
  try {
    const { blob } = storage.stores;
    const keys = (await blob.list(`catalog/${runId}/.internal/`)).filter((k) => /\/events-[^/]+\.json$/.test(k));
    if (keys.length === 0) {
      if (!(await storage.stores.runLog.getHeader(runId))) {
        throw new UsageError(`run "${runId}" has no execution event log in s3://${storage.bucket} at ${storage.endpoint}: only runs made with --mode emulator have one`);
      }
      return [];
    }
    const logs = await Promise.all(keys.map(async (k) => JSON.parse(Buffer.from((await blob.get(k))!).toString("utf8")) as StoredEventLog));
    return logs.sort((a, b) => (a.events[0]?.timestamp ?? 0) - (b.events[0]?.timestamp ?? 0));
  } finally {
    await storage.close();
  }
}
