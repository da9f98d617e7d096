import { existsSync } from "node:fs";
import path from "node:path";
import type { Readable } from "node:stream";
import type { RootGraph } from "../graph/types.js";
import { RunNotFoundError, UsageError } from "../sdk/errors.js";
import type { RunLog } from "../sdk/runlog.js";
import { BlobCatalogStore } from "../store/catalog.js";
import { FsBlobStore } from "../store/fs.js";
import { BlobRunLogStore } from "../store/runlog.js";
import type { ExecutionSpan, Stores } from "../store/types.js";
import type { RunListing } from "../view/answers.js";

export type { RunListing } from "../view/answers.js";
import { mapLimit } from "../store/limit.js";

/**
 * Where runs are read from, for the views (`runs list`, `runs compare`, `logs`, `runnable ui`): a
 * local root (its filesystem runs and, when `<root>/s3` exists, the emulator's runs there), an S3
 * bucket (an emulator endpoint, or AWS), or a runs API. Reads only: nothing here creates or changes
 * a run or a bucket.
 */

export interface CatalogFile {
  size: number;
  body: Readable;
}

export interface RunSource {
  /** What it reads, for messages and the UI's header: a path, `s3://bucket` at an endpoint, an API URL. */
  readonly location: string;
  /** Options that make `runnable logs`/`retry` find the same runs (e.g. `--root dir`). */
  readonly storeFlags: string[];
  listRuns(): Promise<RunListing[]>;
  /** Whether the run exists here (its header does). */
  hasRun(runId: string): Promise<boolean>;
  /** Throws RunNotFoundError. */
  readRunLog(runId: string): Promise<RunLog>;
  /** The stored graph; undefined for older runs and sources that do not have it (API). */
  readGraph(runId: string): Promise<RootGraph | undefined>;
  /** The run's executions (first run, retries), oldest first; absent when the source cannot tell (API). */
  executions?(runId: string): Promise<ExecutionSpan[]>;
  /** A catalog file's bytes; undefined when missing. Absent when the source cannot serve files. */
  openFile?(runId: string, name: string): Promise<CatalogFile | undefined>;
  close(): Promise<void>;
}

export interface SourceOptions {
  root?: string;
  s3Endpoint?: string;
  bucket?: string;
  api?: string;
  region?: string;
}

/** Newest first by start time (then id). */
export function newestFirst(a: RunListing, b: RunListing): number {
  return a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : a.runId < b.runId ? 1 : -1;
}

/** A source over one set of stores. */
export function storeSource(stores: Stores, name: string, location: string, storeFlags: string[], close: () => Promise<void> = async () => {}): RunSource {
  return {
    location, storeFlags, close,
    async listRuns() {
      const ids = await stores.runLog.listRuns();
      const infos = await mapLimit(ids, 16, (id) => stores.runLog.runStatus(id));
      return infos.filter((i) => i !== undefined).map(({ header: h, status, endedAt, executions, stale }) => ({
        runId: h.runId, pipeline: h.pipeline, status, tag: h.tag, startedAt: h.startedAt, endedAt, parameters: h.parameters, ...(stale ? { stale } : {}),
        ...(h.mode ? { mode: h.mode } : {}), executions, store: name,
      }));
    },
    hasRun: async (runId) => (await stores.runLog.getHeader(runId)) !== undefined,
    readRunLog: (runId) => stores.runLog.readRunLog(runId),
    readGraph: (runId) => stores.runLog.getGraph(runId),
    executions: async (runId) => (await stores.runLog.runStatus(runId))?.spans ?? [],
    async openFile(runId, name) {
      return stores.catalog.open(runId, name);
    },
  };
}

/** Several sources as one (a root's local and emulator runs): lists merge, a run is read where it is. */
export function mergedSource(sources: RunSource[], location: string, storeFlags: string[]): RunSource {
  const owner = new Map<string, RunSource>();
  const find = async (runId: string): Promise<RunSource> => {
    const known = owner.get(runId);
    if (known) return known;
    for (const s of sources) {
      if (!(await s.hasRun(runId))) continue;
      owner.set(runId, s);
      return s;
    }
    throw new RunNotFoundError(runId, location);
  };
  return {
    location, storeFlags,
    async listRuns() {
      const lists = await Promise.all(sources.map(async (s) => ({ s, runs: await s.listRuns() })));
      for (const { s, runs } of lists) for (const r of runs) owner.set(r.runId, s);
      return lists.flatMap((l) => l.runs);
    },
    hasRun: async (runId) => (await Promise.all(sources.map((s) => s.hasRun(runId)))).some(Boolean),
    readRunLog: async (runId) => (await find(runId)).readRunLog(runId),
    readGraph: async (runId) => (await find(runId)).readGraph(runId),
    async executions(runId) {
      const s = await find(runId);
      return (await s.executions?.(runId)) ?? [];
    },
    async openFile(runId, name) {
      const s = await find(runId);
      return s.openFile?.(runId, name);
    },
    close: async () => {
      await Promise.all(sources.map((s) => s.close()));
    },
  };
}

/**
 * Opens the source the options name, as `runnable logs` finds runs: `api` → the runs API;
 * `s3Endpoint` (+ `bucket`, default "runnable") → that bucket; `bucket` alone → that bucket of the
 * emulator's local server over `<root>/s3`; else `root` (default `.runnable`): its filesystem runs
 * plus the emulator's runs under `<root>/s3` when that folder exists.
 */
export async function openSource(options: SourceOptions): Promise<RunSource> {
  if (options.api !== undefined) {
    if (options.s3Endpoint !== undefined || options.bucket !== undefined) throw new UsageError("--api reads runs from the runs API: --s3-endpoint and --bucket cannot be used with it");
    const { apiSource } = await import("./api-source.js");
    return apiSource(options.api, options.region);
  }
  const root = options.root ?? ".runnable";
  const rootFlags = root === ".runnable" ? [] : [`--root ${root}`];
  if (options.s3Endpoint !== undefined) {
    // A given endpoint (s3rver, `runnable serve`'s, MinIO…): read as is, no bucket is created.
    const bucket = options.bucket ?? "runnable";
    const { s3Stores } = await import("../store/index.js");
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    const stores = s3Stores({ bucket, endpoint: options.s3Endpoint, ...(options.region ? { region: options.region } : {}) });
    const flags = [`--s3-endpoint ${options.s3Endpoint}`, ...(options.bucket !== undefined ? [`--bucket ${bucket}`] : [])];
    return storeSource(stores, "s3", `s3://${bucket} at ${options.s3Endpoint}`, flags, async () => destroyClient(stores));
  }
  if (options.bucket !== undefined) {
    // As `runnable logs --bucket`: that bucket of the emulator's local server over <root>/s3.
    const { openEmulatorStores } = await import("../emulate/storage.js");
    const emulator = await openEmulatorStores(root, { bucket: options.bucket });
    return storeSource(emulator.stores, "emulator", `s3://${options.bucket} over ${path.resolve(root, "s3")}`, [...rootFlags, `--bucket ${options.bucket}`], () => emulator.close());
  }
  const flags = rootFlags;
  const blob = new FsBlobStore(path.resolve(root));
  const local = storeSource({ runLog: new BlobRunLogStore(blob), catalog: new BlobCatalogStore(blob), blob }, "local", path.resolve(root), flags);
  if (!existsSync(path.join(root, "s3"))) return local;
  const { openEmulatorStores } = await import("../emulate/storage.js");
  const emulator = await openEmulatorStores(root);
  const emulated = storeSource(emulator.stores, "emulator", `${path.resolve(root, "s3")} (emulator)`, flags, () => emulator.close());
  return mergedSource([local, emulated], path.resolve(root), flags);
}

function destroyClient(stores: Stores): void {
  const client = (stores.blob as { client?: { destroy(): void } }).client;
  client?.destroy();
}
