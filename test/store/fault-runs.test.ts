/**
 * The example pipelines under injected store faults, against s3rver: every run ends in a terminal
 * status, its run log reads back consistent, and a retry (what `runnable retry` runs: the same
 * executor under a new execution, skipping steps that succeeded) finishes it with the same result
 * as a run without faults.
 *
 * A fault that escapes a step is what a Lambda error is under Step Functions: the state machine's
 * Catch sends `finalise` with status FAIL. That path is reproduced here with `handleStepEvent`.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildGraph, type BuiltPipeline } from "../../src/graph/build.js";
import { locate } from "../../src/graph/paths.js";
import { executeLocal } from "../../src/execute/index.js";
import { loadPipelineFile } from "../../src/load/index.js";
import { createRun } from "../../src/runtime/create-run.js";
import { resolveParameters } from "../../src/runtime/parameters.js";
import { PROTOCOL_VERSION } from "../../src/runtime/protocol.js";
import { handleStepEvent } from "../../src/runtime/step-event.js";
import type { RunLog } from "../../src/sdk/runlog.js";
import { S3BlobStore, storesOn } from "../../src/store/index.js";
import type { Stores } from "../../src/store/types.js";
import { FaultyBlobStore, InjectedFault, retrying } from "../helpers/faulty-blob.js";
import { startS3rver, type S3rverHandle } from "../helpers/s3rver.js";

const EXAMPLES = ["map-reduce", "conditional", "on-failure", "shell-task"];
const SEEDS = [11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22];
const RATE = 0.15;
/** Retries that still meet faults before the store turns healthy. */
const FAULTED_RETRIES = 3;

let s3: S3rverHandle;
let scratch: string;
let n = 0;
const cwd = process.cwd();

beforeAll(async () => {
  s3 = await startS3rver();
  scratch = await mkdtemp(path.join(tmpdir(), "runnable-fault-runs-"));
});
afterAll(async () => {
  process.chdir(cwd);
  await s3?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});


/** Waits until no store call has been made for a while: branches of a failed Parallel/Map may still be finishing. */
async function settle(faulty: FaultyBlobStore): Promise<void> {
  for (let before = -1; before !== faulty.calls; ) {
    before = faulty.calls;
    await new Promise((r) => setTimeout(r, 60));
  }
}

interface Run {
  runId: string;
  stores: Stores;
  faulty: FaultyBlobStore;
  built: BuiltPipeline;
  workDir: string;
}

/** One execution in its own working directory (functions use process.cwd(), so chdir there). */
async function execute(run: Run, execution: string): Promise<void> {
  const { built, stores, runId, workDir } = run;
  process.chdir(workDir);
  try {
    const header = (await retrying(() => stores.runLog.getHeader(runId)))!;
    await executeLocal(built, stores, header, { execution, workDir, sleep: async () => {} });
  } catch (e) {
    if (!(e instanceof InjectedFault)) throw e;
    await settle(run.faulty);
    // Step Functions: the Lambda error is caught by the state machine, which finalises the run as failed.
    const event = { v: PROTOCOL_VERSION, action: "finalise" as const, runId, path: "", indexes: [], execution, retryCount: 0, status: "FAIL" as const };
    await retrying(() => handleStepEvent(event, { built, stores, workDir }));
  } finally {
    process.chdir(cwd);
  }
}

async function start(example: string, plan: { rate: number; seed: number }): Promise<Run> {
  const file = path.resolve("examples", example, "pipeline.ts");
  const built = buildGraph((await loadPipelineFile(file)).pipeline, { fallbackName: example });
  const parametersFile = path.resolve("examples", example, "parameters.yaml");
  const parameters = resolveParameters(existsSync(parametersFile) ? { parametersFile } : {});
  const faulty = new FaultyBlobStore(new S3BlobStore({ client: s3.client, bucket: s3.bucket, prefix: `run${n}` }));
  const stores = storesOn(faulty);
  const workDir = await mkdtemp(path.join(scratch, `${example}-${n++}-`));
  const header = await createRun(stores, { built, parameters, mode: "local", source: file });
  faulty.setPlan(plan);
  const run = { runId: header.runId, stores, faulty, built, workDir };
  await execute(run, "local");
  return run;
}

/** No step is SUCCESS without every return it declares; a composite's steps exist when it succeeded. */
function expectConsistent(log: RunLog, built: BuiltPipeline): void {
  for (const [stepPath, step] of Object.entries(log.steps)) {
    const node = locate(built.graph, stepPath)?.node;
    expect(node, `step ${stepPath} is in the pipeline`).toBeDefined();
    expect(step.attempts.length).toBeGreaterThan(0);
    expect(step.status).toBe(step.attempts[step.attempts.length - 1]!.status);
    if (step.status === "SUCCESS" && node && (node.kind === "function" || node.kind === "shell" || node.kind === "stub")) {
      const last = step.attempts[step.attempts.length - 1]!;
      for (const r of node.returns) expect(last.outputParameters, `${stepPath} returns ${r.name}`).toHaveProperty(r.name);
    }
  }
}

describe("example pipelines under injected store faults (s3rver)", () => {
  const baseline = new Map<string, RunLog>();
  let injected = 0;

  it.each(EXAMPLES)("%s runs cleanly without faults (baseline)", async (example) => {
    const run = await start(example, { rate: 0, seed: 1 });
    const log = await run.stores.runLog.readRunLog(run.runId);
    expect(log.status).toBe("SUCCESS");
    baseline.set(example, log);
  });

  for (const example of EXAMPLES) {
    it(`${example}: ${SEEDS.length} faulted runs end terminal, read back consistent, and a retry finishes them`, async () => {
      const expected = baseline.get(example)!;
      for (const seed of SEEDS) {
        const run = await start(example, { rate: RATE, seed });
        injected += run.faulty.injected.length;
        run.faulty.injected.length = 0;
        run.faulty.setPlan({});
        const log = await run.stores.runLog.readRunLog(run.runId);
        expect(["SUCCESS", "FAIL"], `seed ${seed}`).toContain(log.status);
        expectConsistent(log, run.built);
        let final = log;
        for (let retry = 1; final.status !== "SUCCESS" && retry <= FAULTED_RETRIES + 2; retry++) {
          // The first retries still meet faults; later ones find the store healthy again.
          if (retry <= FAULTED_RETRIES) run.faulty.setPlan({ rate: RATE, seed: seed + 1000 * retry });
          await execute(run, `retry-${retry}`);
          injected += run.faulty.injected.length;
          run.faulty.injected.length = 0;
          run.faulty.setPlan({});
          final = await run.stores.runLog.readRunLog(run.runId);
          expect(["SUCCESS", "FAIL"], `seed ${seed} retry ${retry}`).toContain(final.status);
          expectConsistent(final, run.built);
        }
        expect(final.status, `seed ${seed}`).toBe("SUCCESS");
        expect(final.finalParameters, `seed ${seed}`).toEqual(expected.finalParameters);
        expect(Object.keys(final.steps).sort(), `seed ${seed}`).toEqual(Object.keys(expected.steps).sort());
      }
    });
  }

  it("injected at least 200 faults in all", () => {
    expect(injected).toBeGreaterThanOrEqual(200);
  });
});
