import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type StepBundle, bundleStepHandler } from "../../bench/bundle.js";
import { loadPipelineSources } from "../../src/api/pipelines.js";
import { compile } from "../../src/compile/index.js";
import { type Json, type JsonObject, emulatorPlaceholders, inspectDefinition, substitute } from "../../src/emulate/definition.js";
import { runMachine } from "../../src/emulate/machine.js";
import { RetryCounter } from "../../src/emulate/tasks.js";
import { createRun } from "../../src/runtime/create-run.js";
import { s3Stores } from "../../src/store/index.js";
import { invokeBundle, provideRuntimeSdk } from "../helpers/lambda-bundle.js";
import { type S3rverHandle, startS3rver } from "../helpers/s3rver.js";

// The step Lambda bundle without user code (issue 14: ≤ 300 KB minified), bundled with the
// constructs' own settings — and proof that it works where only the Lambda runtime's SDK exists:
// a pipeline executed by its compiled definition with every Task invoking the bundle in a process
// of its own, against a real S3 protocol server.
const TINY = join(import.meta.dirname, "fixtures", "tiny.ts");

let bundle: StepBundle;
let work: string;
let s3: S3rverHandle;

beforeAll(async () => {
  bundle = await bundleStepHandler();
  work = mkdtempSync(join(tmpdir(), "runnable-bundle-"));
  writeFileSync(join(work, "index.mjs"), bundle.code);
  provideRuntimeSdk(work);
  s3 = await startS3rver({ bucket: "bundle-runs" });
}, 120_000);

afterAll(async () => {
  await s3?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** One invocation of the bundle (the bucket is unused unless `env` names one). */
const invoke = (event: unknown, env: Record<string, string> = {}) => invokeBundle(join(work, "index.mjs"), { RUNNABLE_BUCKET: "unused", ...env }, event);

describe("the step Lambda bundle", () => {
  it("is at most 300 KB minified without user code, with no loader, YAML parser or full zod in it", () => {
    expect(Object.keys(bundle.parts).filter((p) => ["tsx", "esbuild", "yaml"].includes(p))).toEqual([]);
    // zod/mini with its English messages; the full zod API is ≈ 450 KB.
    expect(bundle.parts.zod).toBeLessThan(40_000);
    expect(bundle.bytes, JSON.stringify(bundle.parts)).toBeLessThanOrEqual(300_000);
  });

  it("rejects a bad event with the fields named", async () => {
    const answer = await invoke({ v: 1, action: "explode", runId: "../x" });
    expect(answer.ok).toBe(false);
    expect(answer.name).toBe("runnable.BadEvent");
    expect(answer.message).toMatch(/^bad step event: action: .*runId: runId must match .*path: .*execution: /s);
  }, 60_000);

  it("runs a pipeline (steps, sized steps, Map, Parallel) to SUCCESS, every step recorded and the final parameters right", async () => {
    const [source] = await loadPipelineSources([TINY]);
    const compiled = compile(source!.built);
    const values = emulatorPlaceholders(compiled.placeholders, s3.bucket);
    const definition = substitute(compiled.definition as unknown as JsonObject, values);
    const env = {
      RUNNABLE_BUCKET: s3.bucket, RUNNABLE_S3_ENDPOINT: s3.endpoint, AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    };
    const counter = new RetryCounter();
    const invoked: string[] = [];
    const { tasks, problems } = inspectDefinition(definition);
    expect(problems).toEqual([]);
    const handlers = Object.fromEntries([...tasks.values()].map((t) => [t.name, async (input: Json) => {
      const request = input as { FunctionName: string; Payload: JsonObject };
      invoked.push(String(request.Payload.action));
      const answer = await invoke({ ...request.Payload, retryCount: counter.next(t.name, request.Payload.indexes) }, env);
      if (!answer.ok) throw Object.assign(new Error(answer.message), { name: answer.name });
      return { Payload: (answer.result ?? null) as Json, StatusCode: 200 };
    }]));

    const stores = s3Stores({ bucket: s3.bucket, client: s3.client });
    const header = await createRun(stores, { built: source!.built, parameters: {}, runId: "bundle-1", mode: "aws" });
    const result = await runMachine(definition, { runId: header.runId }, { executionName: "bundle-1", handlers });
    expect(result.status, JSON.stringify(result.error)).toBe("SUCCEEDED");

    const log = await stores.runLog.readRunLog("bundle-1");
    expect(log.status).toBe("SUCCESS");
    expect(log.finalParameters).toEqual({ items: [1, 2, 3], sq: [1, 4, 9], total: 14, n: 3 });
    expect(Object.keys(log.steps).sort()).toEqual(["both", "both.a.sum", "both.b.count", "fanout", "fanout.0.square", "fanout.1.square", "fanout.2.square", "make"]);
    for (const [path, step] of Object.entries(log.steps)) expect(step.status, path).toBe("SUCCESS");
    // Every action the compiled machine uses went through the bundle.
    expect(new Set(invoked)).toEqual(new Set(["start", "task", "mapStart", "nodeEnd", "finalise"]));
  }, 120_000);
});
