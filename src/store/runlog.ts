import { randomBytes } from "node:crypto";
import { RunExistsError, RunNotFoundError } from "../sdk/errors.js";
import type { RootGraph } from "../graph/types.js";
import type { ExecutionLog, RunLog, StepLog } from "../sdk/runlog.js";
import { RUN_ID } from "../core/protocol.js";
import { mapLimit } from "./limit.js";
import { loadRunObjects } from "./snapshot.js";
import { judgeLease, readLease } from "./lease.js";
import { JOURNAL_SUFFIX, journalLine, parseJournal, type JournalEntry, type JournalWriter } from "./journal.js";
import type { AttemptRecord, BlobStore, ExecutionEnd, ExecutionSpan, ExecutionStart, RunHeader, RunLogStore, RunStatusInfo } from "./types.js";

/** Run-log objects kept in memory per store (≈ 1 KiB each) before the cache starts over. */
const KNOWN_MAX = 100_000;
/** Reads in flight while assembling: enough to hide S3 latency, few enough for file handles. */
const READS_IN_FLIGHT = 64;
/** Step paths and attempt keys become key segments: no "/" and nothing a filesystem would mangle. */
const SEGMENT = /^[A-Za-z0-9_.-]{1,1024}$/;

function checkRunId(runId: string): string {
  if (!RUN_ID.test(runId)) throw new Error(`invalid run id ${JSON.stringify(runId)}: must match ${RUN_ID.source}`);
  return runId;
}
function checkSegment(what: string, value: string): string {
  if (!SEGMENT.test(value) || value === "." || value === "..") {
    throw new Error(`invalid ${what} ${JSON.stringify(value)} for a run-log key`);
  }
  return value;
}

/** Key layout of a run log (same on every backend). */
export const runKeys = {
  run: (runId: string) => `runs/${checkRunId(runId)}/`,
  header: (runId: string) => `runs/${checkRunId(runId)}/header.json`,
  /** The pipeline's graph (definition, no user code) as the run started it: what viewers draw. */
  graph: (runId: string) => `runs/${checkRunId(runId)}/graph.json`,
  executions: (runId: string) => `runs/${checkRunId(runId)}/executions/`,
  execution: (runId: string, id: string, edge: "start" | "end") =>
    `runs/${checkRunId(runId)}/executions/${encodeURIComponent(id)}.${edge}.json`,
  steps: (runId: string) => `runs/${checkRunId(runId)}/steps/`,
  /** Append-only journals of attempt records (see journal.ts), one per writing process. */
  journals: (runId: string) => `runs/${checkRunId(runId)}/journal/`,
  step: (runId: string, stepPath: string) => `runs/${checkRunId(runId)}/steps/${checkSegment("step path", stepPath)}/`,
  attempt: (runId: string, stepPath: string, attemptKey: string) =>
    `${runKeys.step(runId, stepPath)}${checkSegment("attempt key", attemptKey)}.json`,
};

/** Orders a step's attempts by attempt number (then key, so the order is total). */
function byAttempt(a: AttemptRecord, b: AttemptRecord): number {
  return a.attempt - b.attempt || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

/** The run-log step entry of a step's records (sorted): status and catalog are the last attempt's. */
export function stepLog(records: AttemptRecord[]): StepLog {
  const last = records[records.length - 1]!;
  return {
    type: last.type,
    status: last.status,
    attempts: records.map(({ key: _key, type: _type, catalog: _catalog, ...attempt }) => attempt),
    catalog: last.catalog,
  };
}

/** Options of BlobRunLogStore. */
export interface RunLogStoreOptions {
  /**
   * Record step attempts in an append-only journal per run (when the BlobStore has `openJournal`)
   * instead of one object each. For the one process running an execution (the local executor,
   * holding the run's lease): create-only holds against every record this store wrote or read,
   * not against another process writing the same attempt key at the same moment — which the lease
   * and execution ids rule out (attempt keys start with the execution's id).
   */
  journal?: boolean;
}

/** What a journaling store knows of a run: its attempt keys, and its open journal. */
interface JournalState {
  keys: Set<string>;
  writer?: JournalWriter;
}

/**
 * A RunLogStore over any BlobStore. Every write is its own create-only object, so concurrent
 * writers (Parallel branches, Map iterations, redelivered Lambda events) never overwrite each
 * other, and the run log is assembled by listing:
 * `runs/<runId>/header.json`, `…/executions/<id>.start.json|.end.json`, `…/steps/<stepPath>/<attemptKey>.json`,
 * and `…/snapshot.json`, a cache of the others that keeps assembly to a listing and a few reads.
 */
export class BlobRunLogStore implements RunLogStore {
  /**
   * JSON text of run-log objects this store wrote or read, by key. They are create-only and never
   * change, so reading one again from the store is wasted I/O (the local executor's final read of
   * a 10,000-iteration Map would otherwise re-read every record it just wrote). Text, not objects:
   * callers may mutate what they get. Bounded: cleared when full.
   */
  private readonly known = new Map<string, string>();

  /** Runs this store journals, by run id (only with the `journal` option). */
  private readonly journaling = new Map<string, Promise<JournalState>>();

  constructor(readonly blob: BlobStore, private readonly options: RunLogStoreOptions = {}) {}

  private remember(key: string, text: string): void {
    if (this.known.size >= KNOWN_MAX) this.known.clear();
    this.known.set(key, text);
  }

  private parse<T>(key: string, text: string): T {
    try {
      return JSON.parse(text) as T;
    } catch (e) {
      throw new Error(`run-log object ${key} in ${this.blob.location} is not valid JSON`, { cause: e });
    }
  }

  private async read<T>(key: string): Promise<T | undefined> {
    const cached = this.known.get(key);
    if (cached !== undefined) return this.parse<T>(key, cached);
    const bytes = await this.blob.get(key);
    if (bytes === undefined) return undefined;
    const text = Buffer.from(bytes).toString("utf8");
    const value = this.parse<T>(key, text);
    this.remember(key, text);
    return value;
  }

  /** Create-only write of a run-log object; remembers it when it was created. */
  private async create(key: string, value: unknown): Promise<boolean> {
    const text = JSON.stringify(value);
    const created = await this.blob.put(key, text, { ifAbsent: true });
    if (created) this.remember(key, text);
    return created;
  }

  private readAll<T>(keys: string[]): Promise<T[]> {
    return mapLimit(keys, READS_IN_FLIGHT, async (key) => {
      const value = await this.read<T>(key);
      // Listed objects are never deleted; a miss means the store lost an object.
      if (value === undefined) throw new Error(`run-log object ${key} was listed but cannot be read from ${this.blob.location}`);
      return value;
    });
  }

  /**
   * Create-only. A retry of the same creation (identical header, e.g. after a write that succeeded
   * but reported an error) succeeds; any other existing run with this id is refused.
   */
  async createRun(header: RunHeader, graph?: RootGraph): Promise<void> {
    // Before the header: whoever finds the run finds its graph too. Create-only, like the header.
    if (graph) await this.blob.put(runKeys.graph(header.runId), JSON.stringify(graph), { ifAbsent: true });
    if (await this.create(runKeys.header(header.runId), header)) return;
    const existing = await this.blob.get(runKeys.header(header.runId));
    if (existing === undefined || Buffer.from(existing).toString("utf8") !== JSON.stringify(header)) throw new RunExistsError(header.runId);
  }

  getHeader(runId: string): Promise<RunHeader | undefined> {
    return this.read<RunHeader>(runKeys.header(runId));
  }

  getGraph(runId: string): Promise<RootGraph | undefined> {
    return this.read<RootGraph>(runKeys.graph(runId));
  }

  async runStatus(runId: string): Promise<RunStatusInfo | undefined> {
    const header = await this.getHeader(runId);
    if (!header) return undefined;
    const keys = (await this.blob.list(runKeys.executions(runId))).filter((k) => k.endsWith(".json"));
    const records = await this.readAll<ExecutionStart | ExecutionEnd>(keys);
    const starts = records.filter((r, i) => keys[i]!.endsWith(".start.json")) as ExecutionStart[];
    const ends = records.filter((r, i) => keys[i]!.endsWith(".end.json")) as ExecutionEnd[];
    const end = ends.find((e) => e.id === newestExecution(starts, ends));
    const stale = end ? undefined : await this.staleness(header);
    return { header, status: end?.status ?? "RUNNING", endedAt: end?.endedAt ?? null, executions: Math.max(starts.length, ends.length), spans: spansOf(starts, ends), ...(stale ? { stale } : {}) };
  }

  /**
   * Why a RUNNING run is stale (its owner is gone, see lease.ts); undefined while its owner lives.
   * Only runs made locally or in the emulator have an owner: runs on AWS, and runs recorded before
   * runs had a mode, are never judged.
   */
  private async staleness(header: RunHeader): Promise<string | undefined> {
    if (header.mode !== "local" && header.mode !== "emulator") return undefined;
    const liveness = judgeLease(await readLease(this.blob, header.runId), header.startedAt);
    return liveness.stale ? liveness.reason : undefined;
  }

  async startExecution(runId: string, execution: ExecutionStart): Promise<void> {
    // Create-only: a redelivered start keeps the first start time.
    await this.create(runKeys.execution(runId, execution.id, "start"), execution);
  }

  async endExecution(runId: string, execution: ExecutionEnd): Promise<void> {
    await this.create(runKeys.execution(runId, execution.id, "end"), execution);
    // The execution is over: close its journal (a later record would open a new one).
    const state = this.journaling.get(runId);
    this.journaling.delete(runId);
    if (state) (await state).writer?.close();
  }

  async recordAttempt(runId: string, stepPath: string, record: AttemptRecord): Promise<AttemptRecord> {
    const key = runKeys.attempt(runId, stepPath, record.key);
    if (this.options.journal && this.blob.openJournal) {
      if (this.append(await this.journalState(runId), runId, key, stepPath, record)) return record;
      // Duplicate delivery: the first record of this attempt key stands (in a journal or an object).
      return (await this.attempts(runId, stepPath)).find((a) => a.key === record.key) ?? record;
    }
    if (await this.create(key, record)) return record;
    // Duplicate delivery: the first record of this attempt key stands; report it to the caller.
    return (await this.read<AttemptRecord>(key)) ?? record;
  }

  /**
   * Appends a record to the run's journal unless its key is known (then false: the first record
   * stands). Synchronous from the check to the write, so concurrent callers cannot both append a key.
   */
  private append(state: JournalState, runId: string, key: string, stepPath: string, record: AttemptRecord): boolean {
    if (state.keys.has(key)) return false;
    const line = journalLine(stepPath, record);
    state.writer ??= this.blob.openJournal!(`${runKeys.journals(runId)}${process.pid}-${randomBytes(6).toString("hex")}${JOURNAL_SUFFIX}`);
    try {
      state.writer.append(line);
    } catch (e) {
      state.writer = undefined; // a failed append ends that journal: the next record starts a new one
      throw e;
    }
    state.keys.add(key);
    return true;
  }

  /** The journaling state of a run, built once from everything already recorded for it. */
  private journalState(runId: string, loaded?: Map<string, unknown>): Promise<JournalState> {
    let state = this.journaling.get(runId);
    if (!state) {
      const keysOf = (objects: Map<string, unknown>): JournalState => ({ keys: new Set([...objects.keys()].filter((k) => k.startsWith(runKeys.steps(runId)))) });
      state = loaded ? Promise.resolve(keysOf(loaded)) : this.load(runId).then(keysOf);
      // A failed load is not kept: the next record tries again.
      state.catch(() => this.journaling.delete(runId));
      this.journaling.set(runId, state);
    }
    return state;
  }

  /** Journal entries of a run, oldest journal (by name) first; none on backends without journals. */
  private async journalEntries(runId: string, listed?: string[]): Promise<JournalEntry[]> {
    if (!this.blob.openJournal && listed === undefined) return [];
    const keys = (listed ?? await this.blob.list(runKeys.journals(runId))).filter((k) => k.startsWith(runKeys.journals(runId)) && k.endsWith(JOURNAL_SUFFIX));
    const texts = await mapLimit(keys, READS_IN_FLIGHT, (k) => this.blob.get(k));
    // Journals grow: never remembered, always read again.
    return keys.flatMap((k, i) => (texts[i] ? parseJournal(k, Buffer.from(texts[i]).toString("utf8")) : []));
  }

  async attempts(runId: string, stepPath: string): Promise<AttemptRecord[]> {
    const keys = (await this.blob.list(runKeys.step(runId, stepPath))).filter((k) => k.endsWith(".json"));
    const records = await this.readAll<AttemptRecord>(keys);
    const seen = new Set(records.map((r) => r.key));
    for (const e of await this.journalEntries(runId)) {
      if (e.stepPath !== stepPath || seen.has(e.key)) continue;
      seen.add(e.key);
      records.push(e.record);
    }
    return records.sort(byAttempt);
  }

  async allAttempts(runId: string): Promise<Map<string, AttemptRecord[]>> {
    const objects = await this.load(runId);
    // What the executor reads before it runs: a journaling store knows the run's keys from it.
    if (this.options.journal && this.blob.openJournal) void this.journalState(runId, objects);
    return collect(runKeys.steps(runId), objects);
  }

  /**
   * Every run-log object of a run, by key (through the run's snapshot, see loadRunObjects), with the
   * journals' records under the keys they would have as objects (an object with that key wins: it
   * was created first or by a create-only writer; within journals, the first line written).
   */
  private async load(runId: string): Promise<Map<string, unknown>> {
    const { objects, listed } = await loadRunObjects(this.blob, runKeys.run(runId), (keys) => this.readAll(keys), [runKeys.graph(runId)]);
    for (const e of await this.journalEntries(runId, listed)) {
      const key = runKeys.attempt(runId, e.stepPath, e.key);
      if (!objects.has(key)) objects.set(key, e.record);
    }
    return objects;
  }

  async readRunLog(runId: string): Promise<RunLog> {
    const objects = await this.load(runId);
    const header = objects.get(runKeys.header(runId)) as RunHeader | undefined;
    if (!header) throw new RunNotFoundError(runId, this.blob.location);
    const execPrefix = `${runKeys.run(runId)}executions/`;
    const edges = <T>(suffix: string): T[] =>
      [...objects].filter(([k]) => k.startsWith(execPrefix) && k.endsWith(suffix)).map(([, v]) => v as T);
    const starts = edges<ExecutionStart>(".start.json");
    const ends = edges<ExecutionEnd>(".end.json");
    const attempts = collect(runKeys.steps(runId), objects);
    const newest = newestExecution(starts, ends);
    const end = ends.find((e) => e.id === newest);
    const stale = end ? undefined : await this.staleness(header);
    const ordered = [...attempts.entries()].sort(
      ([pa, a], [pb, b]) => (a[0]!.startedAt < b[0]!.startedAt ? -1 : a[0]!.startedAt > b[0]!.startedAt ? 1 : pa < pb ? -1 : 1),
    );
    const steps: Record<string, StepLog> = {};
    for (const [stepPath, records] of ordered) steps[stepPath] = stepLog(records);
    return {
      runId: header.runId,
      pipeline: header.pipeline,
      status: end?.status ?? "RUNNING",
      tag: header.tag,
      startedAt: header.startedAt,
      endedAt: end?.endedAt ?? null,
      dagHash: header.dagHash,
      parameters: header.parameters,
      finalParameters: end?.finalParameters ?? {},
      codeIdentity: header.codeIdentity,
      ...(end?.error ? { error: end.error } : {}),
      ...(stale ? { stale } : {}),
      // Only when an execution ended with an error of its own (interrupted, abandoned, a quota) or a
      // retry changed parameters or re-ran from a step: the
      // Contract's shape stays as it was for every other run.
      ...(ends.some((e) => e.error) || starts.some((s) => s.parameters || s.from) ? { executions: executionsOf(starts, ends) } : {}),
      steps,
    };
  }

  async listRuns(): Promise<string[]> {
    const ids = this.blob.listPrefixes
      ? (await this.blob.listPrefixes("runs/")).map((p) => p.slice("runs/".length, -1))
      : (await this.blob.list("runs/")).filter((k) => /^runs\/[^/]+\/header\.json$/.test(k)).map((k) => k.split("/")[1]!);
    // Generated run ids sort by creation time; plain code-unit order keeps that.
    return ids.filter((id) => RUN_ID.test(id)).sort();
  }
}

/** The attempt records among `objects` (keys under `stepsPrefix`), grouped by step path and sorted. */
function collect(stepsPrefix: string, objects: Map<string, unknown>): Map<string, AttemptRecord[]> {
  const out = new Map<string, AttemptRecord[]>();
  for (const [key, record] of objects) {
    if (!key.startsWith(stepsPrefix)) continue;
    const stepPath = key.slice(stepsPrefix.length, key.lastIndexOf("/"));
    const list = out.get(stepPath) ?? out.set(stepPath, []).get(stepPath)!;
    list.push(record as AttemptRecord);
  }
  for (const list of out.values()) list.sort(byAttempt);
  return out;
}

/** Every execution of a run, oldest first: how it started and ended (RUNNING while it has no end). */
function executionsOf(starts: ExecutionStart[], ends: ExecutionEnd[]): ExecutionLog[] {
  const byId = new Map<string, ExecutionLog>();
  for (const s of starts) {
    byId.set(s.id, { id: s.id, startedAt: s.startedAt, endedAt: null, status: "RUNNING", ...(s.parameters ? { parameters: s.parameters } : {}), ...(s.from ? { from: s.from } : {}) });
  }
  for (const e of ends) {
    const known = byId.get(e.id);
    byId.set(e.id, { ...known, id: e.id, startedAt: known?.startedAt ?? e.endedAt, endedAt: e.endedAt, status: e.status, ...(e.error ? { error: e.error } : {}) });
  }
  return [...byId.values()].sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : a.id < b.id ? -1 : 1));
}

/** Every execution, oldest first (RUNNING while it has no end; one whose start was lost starts at its end). */
function spansOf(starts: ExecutionStart[], ends: ExecutionEnd[]): ExecutionSpan[] {
  const byId = new Map<string, ExecutionSpan>();
  for (const s of starts) byId.set(s.id, { id: s.id, startedAt: s.startedAt, endedAt: null, status: "RUNNING" });
  for (const e of ends) byId.set(e.id, { id: e.id, startedAt: byId.get(e.id)?.startedAt ?? e.endedAt, endedAt: e.endedAt, status: e.status });
  return [...byId.values()].sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : a.id < b.id ? -1 : 1));
}

/** The id of the newest execution: latest start time (an execution whose start was lost counts by its end). */
function newestExecution(starts: ExecutionStart[], ends: ExecutionEnd[]): string | undefined {
  const at = new Map<string, string>();
  for (const e of ends) at.set(e.id, e.endedAt);
  for (const s of starts) at.set(s.id, s.startedAt);
  let newest: [string, string] | undefined;
  for (const [id, time] of at) {
    if (!newest || time > newest[1] || (time === newest[1] && id > newest[0])) newest = [id, time];
  }
  return newest?.[0];
}
