// What parity means: the same statuses, final parameters, catalog md5s and step paths in local
// and emulator runs (timestamps, run ids and attempt timing aside).
import { existsSync } from "node:fs";
import { afterAll, beforeAll } from "vitest";
import { EmulatorSession } from "../../src/emulate/index.js";
import { startS3rver, type S3rverHandle } from "../helpers/s3rver.js";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { buildGraph, type BuiltPipeline } from "../../src/graph/index.js";
import { loadPipelineFile } from "../../src/load/index.js";
import { runPipeline } from "../../src/execute/index.js";
import { resolveParameters } from "../../src/runtime/index.js";
import type { RunLog, RunResult } from "../../src/sdk/runlog.js";
import type { JsonValue } from "../../src/sdk/types.js";
import type { Pipeline } from "../../src/sdk/pipeline.js";

export interface Loaded {
  pipeline: Pipeline;
  built: BuiltPipeline;
  source: string;
  fallbackName: string;
}

export async function load(file: string): Promise<Loaded> {
  const { pipeline, source, fallbackName } = await loadPipelineFile(file);
  return { pipeline, source, fallbackName, built: buildGraph(pipeline, { fallbackName }) };
}

/** The parameters a user gets from the example's parameters.yaml (if any) plus `extra`. */
export function parametersOf(source: string, extra: Record<string, JsonValue> = {}): Record<string, JsonValue> {
  const file = join(dirname(source), "parameters.yaml");
  return resolveParameters({ ...(existsSync(file) ? { parametersFile: file } : {}), parameters: extra, env: {} });
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A local run in its own root and working directory (functions use the process's), retries without waiting. */
export async function runLocal(p: Loaded, parameters: Record<string, JsonValue>): Promise<RunResult> {
  const before = process.cwd();
  process.chdir(tempDir("parity-work-"));
  try {
    return await runPipeline(p.pipeline, {
      mode: "local", root: tempDir("parity-local-"), parameters, source: p.source, fallbackName: p.fallbackName, sleep: async () => undefined,
    });
  } finally {
    process.chdir(before);
  }
}

/** Replaces the run id (object references carry it) and per-run temp folders inside values. */
function scrub(value: unknown, runId: string): unknown {
  // Temp folders are made by tempDir(): `<tmpdir>/<letters->` + 6 random characters.
  const tmp = new RegExp(`${tmpdir().replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/[A-Za-z]+-[A-Za-z0-9]{6}`, "g");
  return JSON.parse(JSON.stringify(value).split(runId).join("<run>").replace(tmp, "<tmp>"));
}

/** The comparable view of a run log. */
export function view(log: RunLog): unknown {
  const steps: Record<string, unknown> = {};
  for (const [path, step] of Object.entries(log.steps)) {
    steps[path] = {
      type: step.type,
      status: step.status,
      attempts: step.attempts.map((a) => ({ status: a.status, error: a.error?.name ?? null, outputs: a.outputParameters, branch: a.branch, iterations: a.iterations })),
      catalog: step.catalog.map((c) => ({ name: c.name, stage: c.stage, md5: c.md5, size: c.size })).sort((a, b) => `${a.stage}${a.name}`.localeCompare(`${b.stage}${b.name}`)),
    };
  }
  return scrub({ status: log.status, pipeline: log.pipeline, dagHash: log.dagHash, parameters: log.parameters, finalParameters: log.finalParameters, steps }, log.runId);
}

/** One s3rver and one warm emulator session for a test file (started before its tests, stopped after). */
export function useEmulator(maxWorkers: number): { s3: () => S3rverHandle; session: () => EmulatorSession } {
  let s3: S3rverHandle | undefined;
  let session: EmulatorSession | undefined;
  beforeAll(async () => {
    s3 = await startS3rver();
    session = await EmulatorSession.open({ s3Endpoint: s3.endpoint, bucket: s3.bucket, maxWorkers, echo: false });
  }, 60_000);
  afterAll(async () => {
    await session?.close();
    await s3?.stop();
  });
  return { s3: () => s3!, session: () => session! };
}
