// The Batch container entry, run as a container runs it: a process with the job's environment.
// Exit code 0 when the step succeeded, 1 when it failed (recorded), 2 when the request is bad.
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRun } from "../../src/runtime/index.js";
import { s3Stores } from "../../src/store/index.js";
import type { Stores } from "../../src/store/types.js";
import { startS3rver, type S3rverHandle } from "../helpers/s3rver.js";
import { load, type Loaded } from "../emulate/compare.js";

const REPO = join(import.meta.dirname, "..", "..");
const ENTRY = join(REPO, "handlers", "batch.ts");

let s3: S3rverHandle;
let stores: Stores;
let p: Loaded;
let runId: string;
beforeAll(async () => {
  s3 = await startS3rver();
  stores = s3Stores({ bucket: s3.bucket, client: s3.client });
  p = await load(join(import.meta.dirname, "fixtures", "sleepy.ts"));
  runId = (await createRun(stores, { built: p.built, parameters: { nap_ms: 1 }, mode: "emulator", source: p.source })).runId;
}, 60_000);
afterAll(() => s3?.stop());

function container(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", ENTRY, ...args], {
      cwd: REPO,
      env: {
        ...process.env, RUNNABLE_BUCKET: s3.bucket, RUNNABLE_S3_ENDPOINT: s3.endpoint, AWS_REGION: "us-east-1",
        RUNNABLE_PIPELINE_FILE: p.source, RUNNABLE_PIPELINE_NAME: p.fallbackName, ...env,
      },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

const event = (path: string, retryCount = 0) => JSON.stringify({ v: 1, action: "task", runId, path, execution: "batch-1", retryCount });

describe("handlers/batch.ts exit codes", () => {
  it("0 when the step succeeds, with the StepResult on stdout", async () => {
    const r = await container(["--request", event("nap")]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ v: 1, status: "SUCCESS", attempt: 1 });
    expect((await stores.runLog.attempts(runId, "nap")).map((a) => a.status)).toEqual(["SUCCESS"]);
  }, 30_000);

  it("1 when the step fails; the failure is in the run log", async () => {
    const r = await container(["--request", event("broken")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("runnable.StepFailed: broken on purpose");
    expect((await stores.runLog.attempts(runId, "broken"))[0]).toMatchObject({ status: "FAIL", error: { message: "broken on purpose" } });
  }, 30_000);

  it("2 for a request that is not JSON, not a valid event, or missing", async () => {
    const notJson = await container(["--request", "{nope"]);
    expect([notJson.code, notJson.stderr]).toEqual([2, expect.stringContaining("runnable.BadEvent: the request is not JSON")]);
    const invalid = await container(["--request", JSON.stringify({ v: 1, action: "task" })]);
    expect([invalid.code, invalid.stderr]).toEqual([2, expect.stringMatching(/runnable\.BadEvent: bad step event: runId/)]);
    const missing = await container([]);
    expect([missing.code, missing.stderr]).toEqual([2, expect.stringContaining("usage: batch --request")]);
  }, 60_000);

  it("reads the request from RUNNABLE_STEP_EVENT (what the compiled task sets) or from an s3:// object", async () => {
    const fromEnv = await container([], { RUNNABLE_STEP_EVENT: event("broken", 1) });
    expect(fromEnv.code).toBe(1);
    expect((await stores.runLog.attempts(runId, "broken")).map((a) => a.attempt)).toEqual([1, 2]);

    await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: "requests/nap.json", Body: event("nap", 5) }));
    const fromS3 = await container(["--request", `s3://${s3.bucket}/requests/nap.json`]);
    expect(fromS3.code, fromS3.stderr).toBe(0);
    // nap had already succeeded: the redelivered request is skipped, not re-run.
    expect(JSON.parse(fromS3.stdout)).toEqual({ v: 1, status: "SUCCESS", attempt: 1, skipped: true });
    const missingObject = await container(["--request", `s3://${s3.bucket}/requests/none.json`]);
    expect([missingObject.code, missingObject.stderr]).toEqual([2, expect.stringContaining("cannot read the request")]);
  }, 60_000);
});
