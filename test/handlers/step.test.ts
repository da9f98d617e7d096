// The Lambda step handler, driven through the protocol against S3 (s3rver) as Step Functions
// would drive it: same results as the local executor; bad events, deadlines and duplicate
// deliveries handled as the contract says.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeStepHandler, stepDeadline, type StepHandler } from "../../handlers/step.js";
import { storesFromEnv } from "../../handlers/shared.js";
import { createRun } from "../../src/runtime/index.js";
import { PROTOCOL_VERSION, type StepEventInput } from "../../src/runtime/protocol.js";
import { s3Stores } from "../../src/store/index.js";
import type { Stores } from "../../src/store/types.js";
import { WorkerPool } from "../../src/emulate/workers.js";
import { startS3rver, type S3rverHandle } from "../helpers/s3rver.js";
import { load, parametersOf, runLocal, tempDir, view, type Loaded } from "../emulate/compare.js";
import { drive } from "./driver.js";

const REPO = join(import.meta.dirname, "..", "..");
const fixture = (name: string) => join(import.meta.dirname, "fixtures", `${name}.ts`);
const lambda = (ms = 60_000) => ({ getRemainingTimeInMillis: () => ms, awsRequestId: "test" });

let s3: S3rverHandle;
let stores: Stores;
beforeAll(async () => {
  s3 = await startS3rver();
  stores = s3Stores({ bucket: s3.bucket, client: s3.client });
}, 60_000);
afterAll(() => s3?.stop());

function handlerFor(p: Loaded): StepHandler {
  return makeStepHandler(() => import(pathToFileURL(p.source).href), { stores, pipelineName: p.fallbackName });
}

async function newRun(p: Loaded, parameters: Record<string, unknown> = {}): Promise<string> {
  const header = await createRun(stores, { built: p.built, parameters: parametersOf(p.source, parameters as never), mode: "emulator", source: p.source });
  return header.runId;
}

describe("examples driven step by step through the Lambda handler", () => {
  const examples = readdirSync(join(REPO, "examples"), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  for (const name of examples) {
    it(`${name}: same statuses, final parameters, catalog md5s and step paths as the local executor`, async () => {
      const p = await load(join(REPO, "examples", name, "pipeline.ts"));
      const local = await runLocal(p, parametersOf(p.source));
      const runId = await newRun(p);
      const handler = handlerFor(p);
      await drive(p.built, runId, "exec-1", (event) => handler(event, lambda()));
      const log = await stores.runLog.readRunLog(runId);
      expect(view(log)).toEqual(view(local.runLog));
    }, 60_000);
  }
});

describe("bad events", () => {
  it("a malformed event is runnable.BadEvent naming the fields", async () => {
    const p = await load(fixture("sleepy"));
    const err = await handlerFor(p)({ v: 1, action: "explode", runId: "../x" }, lambda()).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).name).toBe("runnable.BadEvent");
    expect((err as Error).message).toMatch(/action: .*runId: runId must match .*path: /s);
  });

  it("an event naming no step of the pipeline is runnable.BadEvent", async () => {
    const p = await load(fixture("sleepy"));
    const runId = await newRun(p, { nap_ms: 1 });
    const err = await handlerFor(p)({ v: 1, action: "task", runId, path: "nope", execution: "e" }, lambda()).catch((e: Error) => e);
    expect((err as Error).name).toBe("runnable.BadEvent");
    expect((err as Error).message).toContain('no step "nope"');
  });

  it("an event without a Lambda context is runnable.BadEvent", async () => {
    const p = await load(fixture("sleepy"));
    const err = await handlerFor(p)({ v: 1, action: "start", runId: "r1", path: "", execution: "e" }, {} as never).catch((e: Error) => e);
    expect((err as Error).name).toBe("runnable.BadEvent");
  });
});

describe("the Lambda's remaining time", () => {
  it("a step that would outlive the Lambda fails cleanly as runnable.Timeout, recorded in the run log", async () => {
    const p = await load(fixture("sleepy"));
    const runId = await newRun(p, { nap_ms: 20_000 });
    const handler = handlerFor(p);
    const event = { v: PROTOCOL_VERSION, action: "task", runId, path: "nap", execution: "e", retryCount: 0 };
    const err = await handler(event, lambda(3000)).catch((e: Error) => e);
    expect((err as Error).name).toBe("runnable.Timeout");
    const [attempt] = await stores.runLog.attempts(runId, "nap");
    expect(attempt).toMatchObject({ status: "FAIL", error: { name: "runnable.Timeout" } });
    expect(attempt!.error!.message).toMatch(/remaining time/);
  }, 30_000);

  it("the deadline keeps a safety margin, at most a fifth of the remaining time", () => {
    expect(stepDeadline(lambda(60_000), 1000)).toBe(1000 + 60_000 - 500);
    expect(stepDeadline(lambda(1000), 0)).toBe(1000 - 200);
    expect(stepDeadline(lambda(60_000), 0, 5000)).toBe(55_000);
  });
});

describe("duplicate delivery (Lambda is at-least-once)", () => {
  const kinds: [string, Omit<StepEventInput, "v" | "runId" | "execution">][] = [
    ["stub", { action: "stub", path: "stub" }],
    ["task", { action: "task", path: "task" }],
    ["par.a.pa", { action: "task", path: "par.a.pa" }],
    ["par", { action: "nodeEnd", path: "par", status: "SUCCESS" }],
    ["map", { action: "mapStart", path: "map" }],
    ["map.1.each", { action: "task", path: "map.*.each", indexes: [1] }],
    ["cond", { action: "conditionalStart", path: "cond" }],
  ];

  // Concurrent deliveries reach different containers: three handler processes (the emulator's pool).
  let pool: WorkerPool | undefined;
  afterAll(() => pool?.close());

  for (const mode of ["twice in a row", "three times at once"] as const) {
    it(`every step kind delivered ${mode} leaves one consistent attempt`, async () => {
      const p = await load(fixture("kinds"));
      const counter = tempDir("kinds-");
      const runId = await newRun(p, { counter_dir: counter, items: [1, 2] });
      const handler = handlerFor(p);
      pool ??= new WorkerPool({
        pipelineFile: p.source, pipelineName: p.fallbackName, maxWorkers: 3,
        env: { RUNNABLE_BUCKET: s3.bucket, RUNNABLE_S3_ENDPOINT: s3.endpoint, AWS_REGION: "us-east-1" },
      });
      const one = (e: object) => ({ v: PROTOCOL_VERSION, runId, execution: "exec", ...e });
      const send = (e: object) => handler(one(e), lambda());
      const deliver = async (e: object) => mode === "twice in a row"
        ? [await send(e), await send(e)]
        : Promise.all([1, 2, 3].map(() => pool!.invoke(one(e), { timeoutMs: 60_000, memoryMiB: 512, functionName: "step" })));
      await send({ action: "start", path: "" });
      for (const [stepPath, event] of kinds) {
        const results = await deliver(event);
        expect(new Set(results.map((r) => r.status))).toEqual(new Set(["SUCCESS"]));
        if (event.action === "mapStart" || event.action === "conditionalStart") continue;
        // Redelivered after the fact, the work is never redone.
        if (mode === "twice in a row") expect(results[1]!.skipped).toBe(true);
        const attempts = await stores.runLog.attempts(runId, stepPath);
        expect(attempts.map((a) => [a.attempt, a.status])).toEqual([[1, "SUCCESS"]]);
      }
      await send({ action: "task", path: "map.*.each", indexes: [0] });
      await send({ action: "task", path: "cond.7.seven_branch" });
      for (const e of [{ action: "nodeEnd", path: "map", status: "SUCCESS" }, { action: "nodeEnd", path: "cond", status: "SUCCESS" }, { action: "finalise", path: "", status: "SUCCESS" }]) {
        await deliver(e);
      }
      const log = await stores.runLog.readRunLog(runId);
      expect(log.status).toBe("SUCCESS");
      for (const [path, step] of Object.entries(log.steps)) expect(step.attempts.length, path).toBe(1);
      expect(log.finalParameters).toMatchObject({ seven: 7, from_a: "a", tens: [10, 20], took: "took 7" });
      // Delivered one after the other, the function body ran once.
      if (mode === "twice in a row") expect(readFileSync(join(counter, "task"), "utf8")).toBe("x\n");
    }, 90_000);
  }
});

describe("stores from the environment", () => {
  it("uses RUNNABLE_BUCKET, RUNNABLE_PREFIX and RUNNABLE_S3_ENDPOINT", () => {
    const s = storesFromEnv({ RUNNABLE_BUCKET: "b", RUNNABLE_PREFIX: "team/", RUNNABLE_S3_ENDPOINT: s3.endpoint, AWS_REGION: "eu-west-1" });
    expect(s.blob.location).toContain("s3://b/team/");
  });

  it("names the missing bucket variable", () => {
    expect(() => storesFromEnv({})).toThrow(/RUNNABLE_BUCKET is not set/);
  });
});
