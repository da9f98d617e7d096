import { existsSync, realpathSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildGraph, type BuiltPipeline } from "../graph/build.js";
import { fallbackNameOf, loadPipelineFile } from "../load/index.js";
import { createRun } from "../runtime/create-run.js";
import { checkNotebookSteps } from "../runtime/notebook/preflight.js";
import { runResultOf } from "../runtime/result.js";
import { foldParameters, resolveParameters } from "../runtime/parameters.js";
import { checkRunId } from "../runtime/run-id.js";
import { loadDotEnvSecrets, readSecrets, unsetSecrets } from "../runtime/secrets.js";
import { RunNotFoundError, UsageError } from "../sdk/errors.js";
import type { Pipeline } from "../sdk/pipeline.js";
import type { ExecuteOptions, RunLog, RunResult } from "../sdk/runlog.js";
import type { JsonValue } from "../sdk/types.js";
// The store modules themselves, not store/index.js: that one also loads the AWS SDK (≈300 ms),
// which local runs and `import … from "runnable-ts"` never need.
import { BlobCatalogStore } from "../store/catalog.js";
import { FsBlobStore } from "../store/fs.js";
import { BlobRunLogStore } from "../store/runlog.js";
import type { RunHeader, Stores } from "../store/types.js";
import type { ProgressListener } from "./events.js";
import { executeLocal, type LocalOptions } from "./local.js";
import { checkRetry, nextExecution, resetFrom } from "./retry-rules.js";
import { holdLease, sharingCwd } from "../store/lease.js";
import { Isolation } from "./isolate.js";
import { resolveMocks } from "./mocks.js";

export type { ProgressEvent, ProgressListener } from "./events.js";
export { executeLocal, retryDelayMs, type LocalOptions } from "./local.js";

const DEFAULT_ROOT = ".runnable";

/**
 * The filesystem stores under `root` (what `fsStores(root)` of store/index.js builds), with step
 * attempts journaled: this process runs the execution and holds the run's lease (see RunLogStoreOptions).
 */
function fsStores(root: string): Stores {
  const blob = new FsBlobStore(path.resolve(root));
  return { runLog: new BlobRunLogStore(blob, { journal: true }), catalog: new BlobCatalogStore(blob), blob };
}

/** Options of runPipeline: the public execute() options plus what the CLI knows. */
export interface RunPipelineOptions extends ExecuteOptions {
  /** Absolute path of the pipeline file (handlers import it in emulator mode; `retry` reloads it). Default: `pipeline.source`. */
  source?: string;
  /** Pipeline name when the Pipeline has none. Default: from the source file (`fallbackNameOf`), else "pipeline". */
  fallbackName?: string;
  /** Progress events (step start/end, run end). */
  onEvent?: ProgressListener;
  /** Emulator mode: S3 endpoint to use instead of the built-in local server. */
  s3Endpoint?: string;
  /** Emulator mode: bucket name. */
  bucket?: string;
  /** Waits between retries (tests inject a fake). Default setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  /** Directory functions and commands run in. Default `process.cwd()`. */
  workDir?: string;
  /** `-p name=value` texts from the command line: override every other source. */
  assignments?: Record<string, string>;
}

/** What `src/emulate/index.ts` provides (engineer H5); loaded lazily so local runs never load it. */
interface EmulatorModule {
  runInEmulator(options: {
    built: BuiltPipeline; source: string | undefined; root: string; parameters: Record<string, JsonValue>;
    texts?: Record<string, string>; runId?: string; tag?: string; onEvent?: ProgressListener; s3Endpoint?: string; bucket?: string; maxConcurrency?: number;
    signal?: AbortSignal;
  }): Promise<RunResult>;
  retryInEmulator(runId: string, options: {
    root: string; pipeline?: Pipeline; onEvent?: ProgressListener; s3Endpoint?: string; bucket?: string; signal?: AbortSignal; force?: boolean;
  }): Promise<RunResult>;
}

async function loadEmulator(): Promise<EmulatorModule> {
  try {
    // A variable specifier: the emulator is optional at type-check time and loaded only when asked for.
    const specifier = "../emulate/index.js";
    return (await import(specifier)) as EmulatorModule;
  } catch (e) {
    throw new UsageError(`emulator mode is not available in this build: ${(e as Error).message}`);
  }
}

/**
 * Set in the environment of the emulator's handler processes (Lambda workers and Batch job
 * processes) to the emulator's pid. A run started inside one — a pipeline module that calls
 * `execute()` when it is imported — would start runs recursively: it is refused instead. The pid
 * (compared with the process's parent) keeps the marker from refusing runs in processes the steps
 * themselves start (a ShellTask running `runnable run …`), which inherit the environment.
 */
export const HANDLER_PROCESS_ENV = "RUNNABLE_HANDLER_PROCESS";

let handlerRefusalShown = false;

/** Refuses (UsageError) to start or retry a run inside an emulator handler process. */
function refuseInHandlerProcess(what: string): void {
  const marker = process.env[HANDLER_PROCESS_ENV];
  if (marker === undefined || marker !== String(process.ppid)) return;
  const file = process.env.RUNNABLE_PIPELINE_FILE;
  const error = new UsageError(
    `${what} was called inside an emulator handler process${file ? ` (pipeline file "${file}")` : ""}: runs are not started from handler processes. ` +
    "Most likely the pipeline module starts a run when it is imported, and handler processes import it to find its functions: " +
    "keep the Pipeline in a module of its own that default-exports it, and call execute() from the script that imports it.",
  );
  // Also on stderr (once per process), which the emulator shows: the failed import leaves no step
  // to record the error on, only the execution's failure (`runnable logs --events`).
  if (!handlerRefusalShown) process.stderr.write(`runnable: ${error.message}\n`);
  handlerRefusalShown = true;
  throw error;
}

function realPath(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return path.resolve(file);
  }
}

/**
 * The files this process was started with: the main script (`process.argv[1]`) and modules
 * preloaded with `--import`/`--require` (also through NODE_OPTIONS), real paths.
 */
function entryFiles(): string[] {
  const files: string[] = [];
  if (process.argv[1]) files.push(process.argv[1]);
  const args = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/).filter(Boolean)];
  for (let i = 0; i < args.length; i++) {
    const m = /^(--import|--require|-r|--loader|--experimental-loader)(?:=(.*))?$/.exec(args[i]!);
    if (!m) continue;
    const value = m[2] ?? args[++i];
    if (!value) continue;
    if (value.startsWith("file:")) files.push(fileURLToPath(value));
    else if (value.startsWith(".") || path.isAbsolute(value)) files.push(value);
  }
  return files.map(realPath);
}

/** Whether `source` is a file this process was started with (the main script or a preloaded module). */
export function isEntryFile(source: string): boolean {
  const real = realPath(source);
  const bare = real.slice(0, real.length - path.extname(real).length);
  // `node script` / `tsx script` may name the main script without its extension.
  return entryFiles().some((f) => f === real || (path.extname(f) === "" && f === bare));
}

/**
 * Refuses (UsageError, nothing written) an emulator run whose handler processes could not import
 * the pipeline: no source file, or the source is the script being run — importing it would call
 * `execute()` again in every handler process, starting runs recursively.
 */
function checkEmulatorSource(source: string | undefined, what = 'execute({ mode: "emulator" })'): void {
  const fix = "Move the Pipeline to e.g. pipeline.ts, default-export it, and import it here.";
  if (!source) {
    throw new UsageError(
      `${what} needs the pipeline in a module of its own that default-exports it: handler processes import that module to find its functions, and the file that built this Pipeline cannot be told. ${fix}`,
    );
  }
  if (isEntryFile(source)) {
    throw new UsageError(
      `${what} needs the pipeline in a module of its own that default-exports it: handler processes import "${source}" to find its functions, and that file is the script being run. ${fix}`,
    );
  }
}

/**
 * What a local run checks of AWS's quotas, which it does not have itself but the deployed pipeline
 * will: the problems `compile` refuses are reported as warnings at once, inline Maps as they start.
 * Warnings go to `onEvent`, else to process warnings (stderr).
 */
async function awsChecks(built: BuiltPipeline, onEvent: ProgressListener | undefined): Promise<{
  local: Pick<LocalOptions, "mapWarning" | "onEvent">; afterRun: (log: RunLog) => void;
}> {
  const { deployCheck } = await import("../compile/deploy-check.js");
  const check = deployCheck(built.graph);
  const listener: ProgressListener = onEvent ?? ((e) => {
    if (e.type === "warning") process.emitWarning(e.message ?? "", "RunnableWarning");
  });
  for (const p of check.problems) {
    listener({ type: "warning", stepPath: p.path, message: `${p.path ? `step "${p.path}": ` : ""}${p.message} (runnable compile, --mode emulator and cdk deploy refuse this pipeline)` });
  }
  let refused = false;
  return {
    local: {
      onEvent: listener,
      mapWarning: (mapPath, count) => {
        const text = check.mapWarning(mapPath, count);
        refused ||= text !== undefined;
        return text && `${text} (on AWS and in --mode emulator the run fails at this Map's start; local runs have no such limit)`;
      },
    },
    afterRun: (log) => {
      // A refused Map is where AWS stops first: the history this run would have needed is moot.
      const text = refused ? undefined : check.historyWarning(log);
      if (text) listener({ type: "warning", stepPath: log.runId, message: text });
    },
  };
}

async function result(stores: Stores, runId: string): Promise<RunResult> {
  const runLog = await stores.runLog.readRunLog(runId);
  return runResultOf(runId, runLog);
}

/**
 * Runs a pipeline: validates it (DefinitionError before anything is written), folds the parameters,
 * creates the run and executes it — in-process (mode "local", default) or through the compiled state
 * machine (mode "emulator"). Resolves with the result also when the run fails; `parameters` is the
 * final scope (the run log's finalParameters).
 */
export async function runPipeline(pipeline: Pipeline, options: RunPipelineOptions = {}): Promise<RunResult> {
  refuseInHandlerProcess("execute()");
  const source = options.source ?? pipeline.source;
  if (options.mode === "emulator") checkEmulatorSource(source);
  const built = buildGraph(pipeline, { fallbackName: options.fallbackName ?? (source ? fallbackNameOf(source) : "pipeline") });
  // Secrets: the environment, plus RUNNABLE_SECRET_* lines of ./.env; a declared one missing is refused before the run exists.
  loadDotEnvSecrets();
  const unset = unsetSecrets(built.graph, readSecrets());
  if (unset.length) throw new UsageError(unset.join("\n"));
  const { values: parameters, texts } = foldParameters({
    ...(options.parametersFile !== undefined ? { parametersFile: options.parametersFile } : {}),
    ...(options.parameters !== undefined ? { parameters: options.parameters } : {}),
    ...(options.assignments !== undefined ? { assignments: options.assignments } : {}),
  });
  const root = options.root ?? DEFAULT_ROOT;
  if (options.runId !== undefined) checkRunId(options.runId);
  const mocks = options.mocks ? resolveMocks(built.graph, options.mocks) : undefined;
  if (mocks && options.mode === "emulator") throw new UsageError("mocks run in-process: they apply to local runs only (mode \"local\")");
  // Both modes run notebook steps on this machine: no Jupyter or no notebook → exit 2, nothing created.
  await checkNotebookSteps(built, options.workDir, mocks);
  if (options.mode === "emulator") {
    const emulator = await loadEmulator();
    return emulator.runInEmulator({
      built, source, root, parameters, texts,
      ...(options.runId !== undefined ? { runId: options.runId } : {}),
      ...(options.tag !== undefined ? { tag: options.tag } : {}),
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
      ...(options.s3Endpoint !== undefined ? { s3Endpoint: options.s3Endpoint } : {}),
      ...(options.bucket !== undefined ? { bucket: options.bucket } : {}),
      ...(options.maxConcurrency !== undefined ? { maxConcurrency: options.maxConcurrency } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }
  if (options.mode !== undefined && options.mode !== "local") throw new UsageError(`mode must be "local" or "emulator", got ${JSON.stringify(options.mode)}`);
  const stores = fsStores(root);
  const header = await createRun(stores, {
    built, parameters, texts, mode: "local",
    ...(options.runId !== undefined ? { runId: options.runId } : {}),
    ...(options.tag !== undefined ? { tag: options.tag } : {}),
    ...(source !== undefined ? { source: path.resolve(source) } : {}),
  });
  const checks = await awsChecks(built, options.onEvent);
  const isolation = (options.isolate ?? pipeline.isolate) ? Isolation.forRun(root, header.runId) : undefined;
  const where = { cwd: path.resolve(options.workDir ?? process.cwd()), isolated: isolation !== undefined, onEvent: checks.local.onEvent };
  await leased(stores, header.runId, "local", where, () => executeLocal(built, stores, header, {
    execution: "local",
    ...(isolation ? { isolation } : {}),
    ...(mocks ? { mocks } : {}),
    ...(options.workDir !== undefined ? { workDir: options.workDir } : {}),
    ...(options.maxConcurrency !== undefined ? { maxConcurrency: options.maxConcurrency } : {}),
    ...(options.sleep ? { sleep: options.sleep } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...checks.local,
  })).finally(() => isolation?.close());
  const done = await result(stores, header.runId);
  checks.afterRun(done.runLog);
  return done;
}

/** Options of retryRun. */
export interface RetryOptions {
  /** Directory of run logs and catalogs. Default ".runnable". */
  root?: string;
  /** The pipeline to re-run. Default: the run's recorded source file, imported again. */
  pipeline?: Pipeline;
  onEvent?: ProgressListener;
  /** Overrides every Map's maxConcurrency and the Parallel default. */
  maxConcurrency?: number;
  sleep?: (ms: number) => Promise<void>;
  workDir?: string;
  /** Emulator runs: the S3 endpoint the run used (e.g. a running s3rver). Given (or `bucket`): the run is looked up there only. */
  s3Endpoint?: string;
  /** Emulator runs: the bucket the run used. Default "runnable". */
  bucket?: string;
  /** Stops the retry (see ExecuteOptions.signal). */
  signal?: AbortSignal;
  /** Take over a RUNNING run even though its owner looks alive (another host's lease not yet expired). */
  force?: boolean;
  /** Each step attempt in a fresh directory (see PipelineOptions.isolate). Default: the Pipeline's. */
  isolate?: boolean;
  /**
   * Re-run from this step (a step path as the run log shows it; a Map's iteration may be left out):
   * the step, everything after it, and the composites around it run again even if they succeeded.
   * A run that succeeded may be re-run this way.
   */
  from?: string;
  /** Parameters changed for the steps that re-run (local runs): a file, values; `RUNNABLE_PRM_*` apply too. */
  parametersFile?: string;
  parameters?: Record<string, JsonValue>;
}

/**
 * Runs `work` holding the run's lease (renewed while it runs), released after. A local run without
 * isolation warns when another live run works in the same directory (their steps share files).
 */
async function leased<T>(
  stores: Stores, runId: string, execution: string, where: { cwd: string; isolated: boolean; onEvent: ProgressListener | undefined }, work: () => Promise<T>,
): Promise<T> {
  const lease = await holdLease(stores.blob, runId, execution, { cwd: where.cwd, isolated: where.isolated });
  // Reading the other runs' leases (up to 200 files) goes on while the first steps run: it only warns.
  const sharing = where.isolated ? undefined : sharingCwd(stores.blob, runId, where.cwd).catch(() => []).then((others) => {
    if (others.length) {
      const text = `${others.length === 1 ? "another run works" : `${others.length} other runs work`} in ${where.cwd} (${others.slice(0, 3).map((o) => `${o.runId}, pid ${o.lease.pid}`).join("; ")}): ` +
        "steps of both runs see and may overwrite each other's files. Use --isolate (isolate: true) to give each step attempt a private directory";
      const listener = where.onEvent;
      if (listener) listener({ type: "warning", stepPath: runId, message: text });
      else process.emitWarning(text, "RunnableWarning");
    }
  });
  try {
    return await work();
  } finally {
    await sharing;
    await lease.release();
  }
}

/**
 * Refuses to retry a run started through the deployed runs API (mode "aws") here: its steps ran on
 * Lambda/Batch, a retry here would run them on this machine instead. `retry --remote` asks the API.
 */
export function refuseAwsRetry(header: RunHeader): void {
  if (header.mode !== "aws") return;
  throw new UsageError(
    `run ${header.runId} was started on AWS through the runs API: its steps run on Lambda/Batch, not here. ` +
    `Retry it through the API: runnable retry ${header.runId} --remote --api <ApiUrl>`,
  );
}

/**
 * Re-runs a failed run: the steps that succeeded are skipped, failed ones run again with attempts
 * numbered on, under a new execution `retry-<n>`. Refused (UsageError) while the run is RUNNING,
 * when it already succeeded, or when the pipeline's graph changed since the run (dagHash).
 */
export async function retryRun(runId: string, options: RetryOptions = {}): Promise<RunResult> {
  refuseInHandlerProcess("retryRun()");
  checkRunId(runId);
  loadDotEnvSecrets();
  const root = options.root ?? DEFAULT_ROOT;
  const stores = fsStores(root);
  const s3 = {
    ...(options.s3Endpoint !== undefined ? { s3Endpoint: options.s3Endpoint } : {}),
    ...(options.bucket !== undefined ? { bucket: options.bucket } : {}),
  };
  const onS3 = Object.keys(s3).length > 0;
  // An explicit S3 endpoint/bucket names where the run lives: the filesystem store is not consulted.
  const header = onS3 ? undefined : await stores.runLog.getHeader(runId);
  if (header) refuseAwsRetry(header);
  // An emulator run recorded with the script being run as its source (made before this was refused).
  if (header?.mode === "emulator" && header.source && isEntryFile(header.source)) checkEmulatorSource(header.source, `retrying emulator run ${runId}`);
  if (!header || header.mode === "emulator") {
    if (!onS3 && !header && !existsSync(path.join(root, "s3"))) throw new RunNotFoundError(runId, stores.blob.location);
    if (options.parametersFile !== undefined || options.parameters !== undefined) {
      throw new UsageError(`retrying emulator run ${runId} with changed parameters is not supported yet (the handler processes read the run's own): retry without --parameters, or start a new run`);
    }
    const emulator = await loadEmulator();
    return emulator.retryInEmulator(runId, {
      root, ...s3,
      ...(options.pipeline ? { pipeline: options.pipeline } : {}),
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.force ? { force: true } : {}),
      ...(options.from !== undefined ? { from: options.from } : {}),
    });
  }
  const changed = resolveParameters({
    ...(options.parametersFile !== undefined ? { parametersFile: options.parametersFile } : {}),
    ...(options.parameters !== undefined ? { parameters: options.parameters } : {}),
  });
  // Refused: a run that succeeded (unless re-run --from a step), one whose owner is alive; a stale one is taken over (abandoned).
  await checkRetry(stores, header, { ...(options.force ? { force: true } : {}), ...(options.from !== undefined ? { from: options.from } : {}) });
  let pipeline = options.pipeline;
  if (!pipeline) {
    if (!header.source) throw new UsageError(`run ${runId} does not record its pipeline file: pass the pipeline to retry it`);
    pipeline = (await loadPipelineFile(header.source)).pipeline;
  }
  const built = buildGraph(pipeline, { fallbackName: header.pipeline });
  if (built.graph.dagHash !== header.dagHash) {
    throw new UsageError(`pipeline changed since run ${runId} (dagHash ${header.dagHash.slice(0, 12)} ≠ ${built.graph.dagHash.slice(0, 12)}); start a new run`);
  }
  await checkNotebookSteps(built, options.workDir);
  const execution = await nextExecution(stores, runId);
  if (options.from !== undefined) await resetFrom(stores, built.graph, runId, execution, options.from);
  const changes = {
    ...(Object.keys(changed).length ? { parameters: changed } : {}),
    ...(options.from !== undefined ? { from: options.from } : {}),
  };
  const checks = (await awsChecks(built, options.onEvent)).local;
  const isolation = (options.isolate ?? pipeline.isolate) ? Isolation.forRun(root, runId) : undefined;
  const where = { cwd: path.resolve(options.workDir ?? process.cwd()), isolated: isolation !== undefined, onEvent: checks.onEvent };
  await leased(stores, runId, execution, where, () => executeLocal(built, stores, header, {
    execution, changes,
    ...(isolation ? { isolation } : {}),
    ...(options.workDir !== undefined ? { workDir: options.workDir } : {}),
    ...(options.maxConcurrency !== undefined ? { maxConcurrency: options.maxConcurrency } : {}),
    ...(options.sleep ? { sleep: options.sleep } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...checks,
  })).finally(() => isolation?.close());
  return result(stores, runId);
}

/**
 * The run log of a run under `root`: the filesystem store, else (when `<root>/s3` exists) the
 * emulator's S3 store. With `s3Endpoint` or `bucket` (an emulator run made with them), only that S3
 * store is read. Throws RunNotFoundError.
 */
export async function readRunLog(runId: string, options: { root?: string; s3Endpoint?: string; bucket?: string } = {}): Promise<RunLog> {
  checkRunId(runId);
  const root = options.root ?? DEFAULT_ROOT;
  const s3 = {
    ...(options.s3Endpoint !== undefined ? { s3Endpoint: options.s3Endpoint } : {}),
    ...(options.bucket !== undefined ? { bucket: options.bucket } : {}),
  };
  if (Object.keys(s3).length === 0) {
    const stores = fsStores(root);
    try {
      return await stores.runLog.readRunLog(runId);
    } catch (e) {
      if (!(e instanceof RunNotFoundError) || !existsSync(path.join(root, "s3"))) throw e;
    }
  }
  const { openEmulatorStores } = await import("../emulate/storage.js");
  const emulator = await openEmulatorStores(root, s3);
  try {
    return await emulator.stores.runLog.readRunLog(runId);
  } finally {
    await emulator.close();
  }
}
