import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { executeLocal, type LocalOptions } from "../../src/execute/local.js";
import type { ProgressEvent } from "../../src/execute/events.js";
import { buildGraph, type BuiltPipeline } from "../../src/graph/index.js";
import { createRun } from "../../src/runtime/create-run.js";
import type { Pipeline } from "../../src/sdk/pipeline.js";
import type { RunLog } from "../../src/sdk/runlog.js";
import type { JsonValue } from "../../src/sdk/types.js";
import { memoryStores } from "../../src/store/index.js";
import type { RunHeader, Stores } from "../../src/store/types.js";

export function tempDir(prefix = "runnable-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface LocalRun {
  runId: string;
  status: "SUCCESS" | "FAIL";
  log: RunLog;
  stores: Stores;
  built: BuiltPipeline;
  header: RunHeader;
  events: ProgressEvent[];
  workDir: string;
}

/** Creates and runs a pipeline in-process on the memory store (or the given one), with an instant sleep. */
export async function runLocal(
  pipeline: Pipeline,
  options: { parameters?: Record<string, JsonValue>; stores?: Stores; workDir?: string; runId?: string } & Partial<LocalOptions> = {},
): Promise<LocalRun> {
  const stores = options.stores ?? memoryStores();
  const built = buildGraph(pipeline, { fallbackName: "test" });
  const workDir = options.workDir ?? tempDir("runnable-work-");
  const header = await createRun(stores, { built, parameters: options.parameters ?? {}, mode: "local", ...(options.runId ? { runId: options.runId } : {}) });
  const events: ProgressEvent[] = [];
  const status = await executeLocal(built, stores, header, {
    execution: options.execution ?? "local", workDir, sleep: options.sleep ?? (async () => {}),
    onEvent: (e) => events.push(e), ...(options.maxConcurrency ? { maxConcurrency: options.maxConcurrency } : {}),
  });
  return { runId: header.runId, status, log: await stores.runLog.readRunLog(header.runId), stores, built, header, events, workDir };
}

/** Statuses of every step, keyed by step path. */
export function statuses(log: RunLog): Record<string, string> {
  return Object.fromEntries(Object.entries(log.steps).map(([k, s]) => [k, s.status]));
}
