import type { Readable } from "node:stream";
import type { JsonValue } from "../sdk/types.js";
import type { RootGraph } from "../graph/types.js";
import type { JournalWriter } from "./journal.js";
import type { AttemptLog, CatalogEntry, CodeIdentity, RunLog, RunStatus, StepError, StepType } from "../sdk/runlog.js";

/** md5 (hex) and size of a stored file. */
export interface FileDigest {
  md5: string;
  size: number;
}

/**
 * A flat key → bytes store: a directory, memory, or an S3 bucket (+ prefix). Run logs and
 * catalogs are built on it once, so every backend behaves the same (see the conformance suite).
 * Keys are "/"-separated, relative, never containing "..".
 */
export interface BlobStore {
  /** Writes an object atomically. With `ifAbsent`, leaves an existing key alone and returns false. */
  put(key: string, body: Uint8Array | string, options?: { ifAbsent?: boolean }): Promise<boolean>;
  /** Reads an object; undefined when missing. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Streams a local file in, computing md5 on the way (memory flat in file size). */
  putFile(key: string, file: string): Promise<FileDigest>;
  /** Streams an object into a local file (parent folders created), returning its digest; undefined when missing. */
  getFile(key: string, file: string): Promise<FileDigest | undefined>;
  /** Opens an object for streaming (downloads); undefined when missing. */
  openRead(key: string): Promise<{ size: number; body: Readable } | undefined>;
  /** Every key under a prefix, sorted, across all pages. */
  list(prefix: string): Promise<string[]>;
  /**
   * The distinct "folders" one level below `prefix` (keys cut after the next "/", with it), sorted.
   * Optional: lets `listRuns()` avoid listing every run's every key. Without it, callers fall back to `list`.
   */
  listPrefixes?(prefix: string): Promise<string[]>;
  /** Where it points, for messages: `file:///…`, `memory:`, `s3://bucket/prefix`. */
  readonly location: string;
  /** The local directory holding the objects, when they are files here (catalog globs never match inside it). */
  readonly directory?: string;
  /** What the backend puts before every key (S3: the store's prefix), for keys handed to readers of the bucket itself. */
  readonly keyPrefix?: string;
  /**
   * Creates `key` (create-only) as an append-only journal this caller alone writes to (see
   * journal.ts); `get` reads what was appended so far. Optional: backends without appends (S3)
   * leave it out, and the run log then writes one object per record.
   */
  openJournal?(key: string): JournalWriter;
}

/** Written once when a run is created (by the CLI/API before the first step). */
export interface RunHeader {
  runId: string;
  pipeline: string;
  tag: string;
  startedAt: string;
  dagHash: string;
  parameters: Record<string, JsonValue>;
  codeIdentity: CodeIdentity;
  /** The pipeline file (absolute path) when known, so `runnable retry <runId>` can load it again. */
  source?: string;
  /**
   * Where the run executes; retries use the same. "aws": started through the deployed runs API (the
   * state machine on Step Functions), which `runnable retry` refuses. Absent in headers written before modes were recorded.
   */
  mode?: "local" | "emulator" | "aws";
}

/** One execution of a run: the first, then one per `runnable retry`. */
export interface ExecutionStart {
  id: string;
  startedAt: string;
  /** Parameters a retry changed (`retry --parameters`, `RUNNABLE_PRM_*`): the run's own stay in its header. */
  parameters?: Record<string, JsonValue>;
  /** The step `retry --from` re-ran from. */
  from?: string;
}

export interface ExecutionEnd {
  id: string;
  endedAt: string;
  status: "SUCCESS" | "FAIL";
  finalParameters: Record<string, JsonValue>;
  /** Why the execution failed when no step's record says it (e.g. a Step Functions quota ended it). */
  error?: StepError;
}

/** What one step attempt stores: the run-log attempt plus what the step log is assembled from. */
export interface AttemptRecord extends AttemptLog {
  /** Idempotency key: `<execution>-<retryCount>`. A redelivered attempt has the same key. */
  key: string;
  type: StepType;
  catalog: CatalogEntry[];
}

/** Run logs, chunked so concurrent writers never overwrite each other. */
export interface RunLogStore {
  /** Creates a run (and stores its graph, for viewers); throws RunExistsError when the id is taken. */
  createRun(header: RunHeader, graph?: RootGraph): Promise<void>;
  getHeader(runId: string): Promise<RunHeader | undefined>;
  /** The graph stored when the run was created; undefined for runs made before graphs were stored. */
  getGraph(runId: string): Promise<RootGraph | undefined>;
  /** Header and status of a run without reading its steps (run lists); undefined when the run does not exist. */
  runStatus(runId: string): Promise<RunStatusInfo | undefined>;
  startExecution(runId: string, execution: ExecutionStart): Promise<void>;
  /** Written last: the run's status is that of its newest execution (RUNNING until this exists). */
  endExecution(runId: string, execution: ExecutionEnd): Promise<void>;
  /** Create-only by `record.key`: when that key already exists, the stored record is returned instead. */
  recordAttempt(runId: string, stepPath: string, record: AttemptRecord): Promise<AttemptRecord>;
  /** A step's attempts, ordered by attempt number. */
  attempts(runId: string, stepPath: string): Promise<AttemptRecord[]>;
  /** Every step's attempts, keyed by step path (one listing, for scope resolution and assembly). */
  allAttempts(runId: string): Promise<Map<string, AttemptRecord[]>>;
  /** The assembled run log; throws RunNotFoundError. */
  readRunLog(runId: string): Promise<RunLog>;
  /** Run ids, oldest first. */
  listRuns(): Promise<string[]>;
}

/** One execution of a run (the first run, each retry): its own start and end. */
export interface ExecutionSpan {
  id: string;
  startedAt: string;
  /** null while it runs. */
  endedAt: string | null;
  status: RunStatus;
}

/** What `RunLogStore.runStatus` returns. */
export interface RunStatusInfo {
  header: RunHeader;
  status: RunStatus;
  /** End of the newest execution; null while it runs. */
  endedAt: string | null;
  /** Executions so far: 1, then one more per retry. */
  executions: number;
  /** A RUNNING run whose owner is gone: why (see lease.ts). */
  stale?: string;
  /** Every execution, oldest first: a retried run's wall time is not any one execution's duration. */
  spans: ExecutionSpan[];
}

/** How an object() return is serialised: structured clone (TypeScript steps) or pickle (notebook steps). */
export type ObjectFormat = "v8" | "pickle";

/** A run's files and serialised objects. */
export interface CatalogStore {
  /** Stores a working-directory file under `name` (a safe relative path); `storeCopy: false` only hashes it. */
  put(runId: string, name: string, file: string, options?: { storeCopy?: boolean }): Promise<FileDigest>;
  /** Stores bytes under `name` (a safe relative path), e.g. a step attempt's captured output. */
  putBytes(runId: string, name: string, bytes: Uint8Array): Promise<FileDigest>;
  /** Copies a catalog file to `file`; undefined when the run's catalog has no such name. */
  get(runId: string, name: string, file: string): Promise<FileDigest | undefined>;
  /** Opens a catalog file for streaming; undefined when the run's catalog has no such name. */
  open(runId: string, name: string): Promise<{ size: number; body: Readable } | undefined>;
  /** Names in the run's catalog (objects excluded), sorted. */
  list(runId: string): Promise<string[]>;
  /**
   * Stores an object() return for a step path — v8-serialised bytes (TypeScript steps), or a pickle
   * (notebook steps) — and returns its reference key, which ends in `.<format>`.
   */
  putObject(runId: string, stepPath: string, name: string, bytes: Uint8Array, format?: ObjectFormat): Promise<string>;
  getObject(runId: string, ref: string): Promise<Uint8Array | undefined>;
  /** Writes/reads small internal JSON documents of a run (e.g. distributed-map items, event logs). */
  putInternal(runId: string, name: string, body: string): Promise<string>;
  /** Reads an internal document written by `putInternal`; undefined when missing. */
  getInternal(runId: string, name: string): Promise<string | undefined>;
}

/** The stores a run needs. */
export interface Stores {
  runLog: RunLogStore;
  catalog: CatalogStore;
  blob: BlobStore;
}
