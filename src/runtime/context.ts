import type { BuiltPipeline } from "../graph/build.js";
import type { JsonValue, StepFunction } from "../sdk/types.js";
import type { AttemptRecord, RunLogStore, Stores } from "../store/types.js";
import { boundError, boundInputs } from "./limits.js";
import { maskRecord, readSecrets, type SecretFetcher, type Secrets } from "./secrets.js";

/** Parameters in scope of a step: JSON values, `object()` returns as `{"$object": ref}`. */
export type Scope = Record<string, JsonValue>;

/** What a step needs besides its event: the pipeline, where to store, where to run. */
export interface StepContext {
  /** The imported pipeline (functions and reducers are found by definition path). */
  built: BuiltPipeline;
  stores: Stores;
  /** Directory catalog `get` copies into, `put` reads from, and commands run in. */
  workDir: string;
  /** Clock for attempt timestamps. Default `() => new Date()`. */
  now?: () => Date;
  /** Epoch ms by which the attempt must be recorded (a Lambda's remaining time). Default none. */
  deadline?: number;
  /** Serialised `object()` values by reference, so a process reads each one from the store once. */
  objectCache?: Map<string, Uint8Array>;
  /** The step's scope when the caller already knows it (the local executor); else read from the run log. */
  scope?: Scope;
  /**
   * An in-memory view of the run's attempts (step path → attempts by number) kept up to date by
   * every record made through this context. The local executor passes one so scope and composite
   * outcomes never re-list the store; handlers leave it out and read the store.
   */
  attempts?: Map<string, AttemptRecord[]>;
  /**
   * The `RUNNABLE_SECRET_*` environment, read once by the caller (the local executor, per run);
   * else read per use. Reading process.env costs ≈ 20 µs, which a 10,000-item Map feels.
   */
  secrets?: Secrets;
  /** Interrupts the attempt (the run is being stopped): see runtime/interrupt.ts. */
  signal?: AbortSignal;
  /**
   * What this execution changes of the run (a local retry): parameters overriding the header's
   * (recorded on the execution's start, merged into its final parameters), and where `--from` started.
   */
  execution?: { parameters?: Scope; from?: string };
  /** Reads a step's declared secrets that the environment lacks (deployed handlers: AWS). Default none: they must be set. */
  fetchSecrets?: SecretFetcher;
  /**
   * Stand-ins for steps, by definition path (`execute({ mocks })`, `runnable run --mock`): called
   * instead of the step's function or command, with the same argument; the attempt is marked `mocked`.
   */
  mocks?: ReadonlyMap<string, StepFunction>;
}

export function secretsOf(ctx: StepContext): Secrets {
  return ctx.secrets ?? readSecrets();
}

export function nowOf(ctx: StepContext): Date {
  return ctx.now ? ctx.now() : new Date();
}

/**
 * Records of steps that succeeded, per run-log store (a warm handler keeps its store for the life of
 * the process). Safe to keep: a step with a SUCCESS attempt never runs again, so its records are
 * final. Saves a listing per preceding sibling on every later step the process handles.
 */
const settledByStore = new WeakMap<RunLogStore, Map<string, AttemptRecord[]>>();
const SETTLED_LIMIT = 100_000;

export function settledRecords(store: RunLogStore, runId: string, stepPath: string): AttemptRecord[] | undefined {
  return settledByStore.get(store)?.get(`${runId}/${stepPath}`);
}

/** Remembers a step's records when they are final (the last attempt succeeded). */
export function settle(store: RunLogStore, runId: string, stepPath: string, records: AttemptRecord[] | undefined): void {
  if (lastOf(records)?.status !== "SUCCESS") return;
  let known = settledByStore.get(store);
  if (!known) settledByStore.set(store, (known = new Map<string, AttemptRecord[]>()));
  if (known.size >= SETTLED_LIMIT) known.clear();
  known.set(`${runId}/${stepPath}`, records!);
}

/** A step's attempts, from the in-memory view when there is one. */
export async function attemptsOf(ctx: StepContext, runId: string, stepPath: string): Promise<AttemptRecord[]> {
  if (ctx.attempts) return ctx.attempts.get(stepPath) ?? [];
  return settledRecords(ctx.stores.runLog, runId, stepPath) ?? ctx.stores.runLog.attempts(runId, stepPath);
}

/** Every attempt of the run, from the in-memory view when there is one. */
export async function allAttemptsOf(ctx: StepContext, runId: string): Promise<Map<string, AttemptRecord[]>> {
  return ctx.attempts ?? ctx.stores.runLog.allAttempts(runId);
}

/**
 * Records an attempt (create-only by key: a redelivered attempt gets the stored record back) and
 * keeps the in-memory view in step. Every attempt record passes here: secrets are masked on the way
 * in (see secrets.ts), so the returned record — and every later step's scope — holds `***` instead.
 * Its recorded inputs and error text are bounded (see limits.ts); returns are checked by the step.
 */
export async function recordAttempt(
  ctx: StepContext, runId: string, stepPath: string, record: AttemptRecord, existing: AttemptRecord[],
): Promise<AttemptRecord> {
  const bounded: AttemptRecord = { ...record, inputParameters: boundInputs(record.inputParameters), error: record.error && boundError(record.error) };
  const stored = await ctx.stores.runLog.recordAttempt(runId, stepPath, maskRecord(bounded, secretsOf(ctx)));
  settle(ctx.stores.runLog, runId, stepPath, [...existing.filter((a) => a.key !== stored.key), stored].sort((a, b) => a.attempt - b.attempt));
  if (ctx.attempts) {
    const list = ctx.attempts.get(stepPath) ?? [];
    if (!list.some((a) => a.key === stored.key)) {
      list.push(stored);
      list.sort((a, b) => a.attempt - b.attempt);
    }
    ctx.attempts.set(stepPath, list);
  }
  return stored;
}

/** The next attempt number and idempotency key of an attempt made by `<execution>-<retryCount>`. */
export function nextAttempt(existing: AttemptRecord[], execution: string, retryCount: number): { key: string; attempt: number; previous?: AttemptRecord } {
  const key = `${execution}-${retryCount}`;
  const previous = existing.find((a) => a.key === key);
  return { key, attempt: existing.filter((a) => a.key !== key).length + 1, ...(previous ? { previous } : {}) };
}

export function lastOf(list: AttemptRecord[] | undefined): AttemptRecord | undefined {
  return list && list.length ? list[list.length - 1] : undefined;
}

/**
 * The step's successful attempt when it is done — its last attempt succeeded. (A step is never
 * attempted again after a success, except when `retry --from` resets it: see execute/retry-rules.ts.)
 */
export function succeeded(list: AttemptRecord[] | undefined): AttemptRecord | undefined {
  const last = lastOf(list);
  return last?.status === "SUCCESS" ? last : undefined;
}
