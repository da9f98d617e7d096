import { setTimeout as sleep } from "node:timers/promises";
import { retryInEmulator, runInEmulator } from "../emulate/index.js";
import { nextExecution } from "../execute/retry-rules.js";
import { EmulatorSession } from "../emulate/session.js";
import { validatedParameters } from "../runtime/create-run.js";
import { checkNotebookSteps } from "../runtime/notebook/preflight.js";
import type { RootGraph } from "../graph/types.js";
import { RunExistsError } from "../sdk/errors.js";
import type { RunResult } from "../sdk/runlog.js";
import type { JsonValue } from "../sdk/types.js";
import { type PipelineFileEntry, type PipelineSource, loadPipelineSources } from "./pipelines.js";
import type { RunsBackend } from "./routes.js";

/** Options of `localBackend` (what `runnable serve` takes). */
export interface LocalBackendOptions {
  /** Pipeline files to serve (their pipeline names are the route names). */
  pipelines: readonly (string | PipelineFileEntry)[];
  /** Directory of the local S3 data when no endpoint is given. Default ".runnable". */
  root?: string;
  /** S3 endpoint (e.g. a running s3rver). Default: a local S3 server over `<root>/s3`. */
  s3Endpoint?: string;
  /** Bucket. Default "runnable". */
  bucket?: string;
  /** Told when a background run ends (or fails to run). */
  onRunEnd?: (runId: string, outcome: RunResult | Error) => void;
}

export interface LocalBackend extends RunsBackend {
  /** The served pipelines' graphs (their schedules: `serve --schedules`). */
  graphs: ReadonlyMap<string, RootGraph>;
  /** Waits for the runs still going, then stops the local S3 server if this backend started it. */
  close(): Promise<void>;
}

/** Fake but well-formed ARN of a local execution (execution name = run id, as on AWS). */
export function localExecutionArn(pipeline: string, runId: string): string {
  return `arn:aws:states:local:000000000000:execution:${pipeline}:${runId}`;
}

/**
 * The runs API backed by the emulator: a POST starts the compiled state machine locally in the
 * background (the same handler code as on Lambda, against S3) and answers once the run header
 * exists, so an immediate `GET /runs/{runId}` finds the run.
 */
export async function localBackend(options: LocalBackendOptions): Promise<LocalBackend> {
  const sources = await loadPipelineSources(options.pipelines);
  // Runs execute notebook steps on this machine: refuse to start without Jupyter (exit 2), not per run.
  for (const s of sources) await checkNotebookSteps(s.built);
  const root = options.root ?? ".runnable";
  // One session for the server's life: one S3 endpoint, handler processes kept warm between runs.
  const session = await EmulatorSession.open({
    root,
    ...(options.s3Endpoint ? { s3Endpoint: options.s3Endpoint } : {}),
    ...(options.bucket ? { bucket: options.bucket } : {}),
  });
  const storage = session.storage;
  const byName = new Map<string, PipelineSource>(sources.map((s) => [s.built.graph.name, s]));
  const running = new Set<Promise<unknown>>();
  // Ids being started by this process: a concurrent second request for one must not see the first's header as its own.
  const starting = new Set<string>();
  return {
    pipelines: new Map(sources.map((s) => [s.built.graph.name, { name: s.built.graph.name, defaults: s.defaults }])),
    runLog: storage.stores.runLog,
    graphs: new Map(sources.map((s) => [s.built.graph.name, s.built.graph])),
    // The pipeline modules are loaded here: their schemas validate directly.
    validate: (name, parameters) => validatedParameters({ built: byName.get(name)!.built, parameters }),
    async start(name, run) {
      const source = byName.get(name)!;
      if (starting.has(run.runId)) throw new RunExistsError(run.runId);
      starting.add(run.runId);
      try {
        return await launch(source, name, run);
      } finally {
        starting.delete(run.runId);
      }
    },
    // Locally the run starts in the same call that writes its header: a repeat has nothing to restart.
    resume: async (name, header) => ({ executionArn: localExecutionArn(name, header.runId) }),
    // The emulator cannot redrive: a retry is a new execution `retry-<n>` (as `runnable retry`), answered once it has started.
    async retry(name, header) {
      const { runId } = header;
      if (starting.has(runId)) throw new RunExistsError(runId);
      starting.add(runId);
      try {
        const execution = await nextExecution(storage.stores, runId);
        const result = retryInEmulator(runId, { root, session, pipeline: byName.get(name)!.pipeline });
        const started = async () => ((await storage.stores.runLog.runStatus(runId))?.spans ?? []).some((s) => s.id === execution);
        await inBackground(runId, result, started);
        return { executionArn: localExecutionArn(name, execution), execution, how: "new-execution" as const };
      } finally {
        starting.delete(runId);
      }
    },
    async close() {
      await Promise.allSettled([...running]);
      await session.close();
    },
  };

  async function launch(source: PipelineSource, name: string, run: { runId: string; parameters: Record<string, JsonValue>; tag: string }): Promise<{ executionArn: string }> {
    const result = runInEmulator({
      built: source.built, source: source.file, root, parameters: run.parameters, runId: run.runId, tag: run.tag,
      session, parametersValidated: true,
    });
    // Answer when the header is written; a run refused before that (taken id, bad parameters) rejects instead.
    await inBackground(run.runId, result, async () => (await storage.stores.runLog.getHeader(run.runId)) !== undefined);
    return { executionArn: localExecutionArn(name, run.runId) };
  }

  /** Tracks a run going on in the background; resolves once `ready()`, rejects when it was refused before that. */
  async function inBackground(runId: string, result: Promise<RunResult>, ready: () => Promise<boolean>): Promise<void> {
    const tracked = result.then(
      (r) => options.onRunEnd?.(runId, r),
      (e: unknown) => options.onRunEnd?.(runId, e instanceof Error ? e : new Error(String(e))),
    ).finally(() => running.delete(tracked));
    running.add(tracked);
    let settled = false;
    const failure = result.then(() => undefined, (e: unknown) => e);
    void failure.finally(() => { settled = true; });
    for (;;) {
      if (await ready()) return;
      if (settled) {
        const err = await failure;
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrows what the run threw
        if (err) throw err;
        return;
      }
      await sleep(20);
    }
  }
}
