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
  status: "SUCCEEDED" | "FAILED" | "ABORTED";
  error: { Error: string; Cause: string } | null;
  /** History events AWS would have recorded for this execution, and Step Functions' quota on them. */
  history?: { events: number; quota: number };
  events: ExecutionEvent[];
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
