import { ExecutionAlreadyExists, type StartExecutionCommand } from "@aws-sdk/client-sfn";
import type { APIGatewayProxyEvent } from "aws-lambda";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deployedPipelines, handleProxyEvent } from "../../handlers/api.js";
import { type StoresOf, awsBackend, executionArnOf } from "../../src/api/aws.js";
import { loadPipelineSources } from "../../src/api/pipelines.js";
import type { RunsBackend } from "../../src/api/routes.js";
import { fsStores, pipelineScope, s3Stores } from "../../src/store/index.js";
import { runCli, tempDir } from "../helpers/cli.js";
import { type S3rverHandle, startS3rver } from "../helpers/s3rver.js";

// The API Lambda's code path: API Gateway proxy events → shared routes → run header on S3 (over the
// S3 protocol, s3rver) → StartExecution. Step Functions itself is the one stand-in: it records calls.
const QUICK = join(import.meta.dirname, "fixtures", "quick.ts");
const ARN = "arn:aws:states:eu-west-1:123456789012:stateMachine:Test-quick";
const OTHER_ARN = "arn:aws:states:eu-west-1:123456789012:stateMachine:Test-other";

let s3: S3rverHandle;
let backend: RunsBackend;
/** Each pipeline's runs in its own key scope, as the deployed API Lambda reads them. */
let storesOf: StoresOf;
const calls: StartExecutionCommand["input"][] = [];
let alreadyExists = false;

function event(method: string, path: string, body?: string, base64 = false): APIGatewayProxyEvent {
  return {
    httpMethod: method, path, resource: path, body: body === undefined ? null : base64 ? Buffer.from(body).toString("base64") : body,
    isBase64Encoded: base64, headers: {}, multiValueHeaders: {}, queryStringParameters: null, multiValueQueryStringParameters: null,
    pathParameters: null, stageVariables: null, requestContext: {} as APIGatewayProxyEvent["requestContext"],
  };
}

async function send(method: string, path: string, body?: string, base64 = false): Promise<{ status: number; json: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await handleProxyEvent(backend, event(method, path, body, base64));
  expect(res.headers?.["content-type"]).toBe("application/json");
  return { status: res.statusCode, json: JSON.parse(res.body) };
}

beforeAll(async () => {
  s3 = await startS3rver({ bucket: "api-runs" });
  const [quick] = await loadPipelineSources([QUICK]);
  const pipelines = deployedPipelines(
    {
      quick: { graph: quick!.built.graph, defaults: { items: [1, 2] } }, orphan: { graph: quick!.built.graph, defaults: {} },
      other: { graph: { ...quick!.built.graph, name: "other" }, defaults: { items: [1] } },
    },
    JSON.stringify({ quick: ARN, other: OTHER_ARN }),
  );
  const sfn = {
    send: async (command: StartExecutionCommand) => {
      calls.push(command.input);
      if (alreadyExists) throw new ExecutionAlreadyExists({ message: "Execution Already Exists", $metadata: {} });
      return { executionArn: executionArnOf(command.input.stateMachineArn!, command.input.name!), startDate: new Date() };
    },
  };
  const made = new Map<string, ReturnType<StoresOf>>();
  storesOf = (name) => made.get(name) ?? made.set(name, s3Stores({ bucket: s3.bucket, client: s3.client, prefix: pipelineScope(name) })).get(name)!;
  backend = awsBackend(pipelines, storesOf, sfn as never);
}, 60_000);

afterAll(() => s3?.stop());

describe("API Lambda", () => {
  it("writes the run header, then starts the execution named after the run with input { runId }", async () => {
    const res = await send("POST", "/pipelines/quick/runs", JSON.stringify({ runId: "aws-1", parameters: { items: [3] }, tag: "t" }), true);
    expect(res).toEqual({ status: 201, json: { runId: "aws-1", executionArn: "arn:aws:states:eu-west-1:123456789012:execution:Test-quick:aws-1", created: true } });
    expect(calls).toEqual([{ stateMachineArn: ARN, name: "aws-1", input: JSON.stringify({ runId: "aws-1" }) }]);
    const log = await send("GET", "/runs/aws-1");
    expect(log).toMatchObject({ status: 200, json: { runId: "aws-1", pipeline: "quick", status: "RUNNING", tag: "t", parameters: { items: [3] } } });
    // In the pipeline's own key scope, which only its roles may touch (per-pipeline IAM).
    expect(await s3Stores({ bucket: s3.bucket, client: s3.client }).blob.list("")).toContain("pipelines/quick/runs/aws-1/header.json");
  });

  it("keeps each pipeline's runs in its own scope; a run id taken by another pipeline is refused (409)", async () => {
    calls.length = 0;
    const taken = await send("POST", "/pipelines/other/runs", JSON.stringify({ runId: "aws-1", parameters: { items: [3] }, tag: "t" }));
    expect(taken).toMatchObject({ status: 409, json: { error: { code: "RunExists", message: expect.stringContaining("pipeline quick") } } });
    const own = await send("POST", "/pipelines/other/runs", JSON.stringify({ runId: "other-1" }));
    expect(own.status).toBe(201);
    expect(calls.map((c) => c.stateMachineArn)).toEqual([OTHER_ARN]);
    expect((await send("GET", "/runs/other-1")).json).toMatchObject({ pipeline: "other", parameters: { items: [1] } });
    expect(await storesOf("quick").runLog.getHeader("other-1")).toBeUndefined();
    expect((await send("GET", "/pipelines/quick/runs")).json.runs.map((r: { runId: string }) => r.runId)).not.toContain("other-1");
    expect((await send("GET", "/pipelines/other/runs")).json.runs.map((r: { runId: string }) => r.runId)).toEqual(["other-1"]);
  });

  it("generates a run id when none is given and starts from the embedded default parameters", async () => {
    const res = await send("POST", "/pipelines/quick/runs", undefined);
    expect(res.status).toBe(201);
    expect(res.json.runId).toMatch(/^\d{8}-\d{6}-\d{3}-[0-9a-z]+$/);
    expect((await send("GET", `/runs/${res.json.runId}`)).json.parameters).toEqual({ items: [1, 2] });
  });

  it("answers a repeated identical request with the existing run, re-issuing the idempotent StartExecution", async () => {
    calls.length = 0;
    alreadyExists = true;
    try {
      const res = await send("POST", "/pipelines/quick/runs", JSON.stringify({ runId: "aws-1", parameters: { items: [3] }, tag: "t" }));
      expect(res).toEqual({ status: 200, json: { runId: "aws-1", executionArn: executionArnOf(ARN, "aws-1"), created: false } });
      expect(calls.map((c) => c.name)).toEqual(["aws-1"]);
    } finally {
      alreadyExists = false;
    }
  });

  it("never restarts a run whose execution already began", async () => {
    calls.length = 0;
    const stores = storesOf("quick");
    await stores.runLog.startExecution("aws-1", { id: "aws-1", startedAt: new Date().toISOString() });
    const res = await send("POST", "/pipelines/quick/runs", JSON.stringify({ runId: "aws-1", parameters: { items: [3] }, tag: "t" }));
    expect(res).toEqual({ status: 200, json: { runId: "aws-1", executionArn: executionArnOf(ARN, "aws-1"), created: false } });
    expect(calls).toEqual([]);
  });

  it("refuses a different request under a taken run id with 409 and starts nothing", async () => {
    calls.length = 0;
    const res = await send("POST", "/pipelines/quick/runs", JSON.stringify({ runId: "aws-1", parameters: { items: [4] } }));
    expect(res).toMatchObject({ status: 409, json: { error: { code: "RunExists" } } });
    expect(calls).toEqual([]);
  });

  it("serves only pipelines that have a state machine, and refuses bad input before touching S3", async () => {
    calls.length = 0;
    expect((await send("POST", "/pipelines/orphan/runs", "{}")).status).toBe(404);
    expect((await send("POST", "/pipelines/quick/runs", JSON.stringify({ runId: "bad id" }))).status).toBe(400);
    expect((await send("POST", "/pipelines/quick/runs", JSON.stringify({ runId: "ok-run", parameters: { items: [1] } }))).status).toBe(201);
    expect((await send("POST", "/pipelines/quick/runs", "x".repeat(256 * 1024 + 1))).status).toBe(413);
    expect((await send("GET", "/runs/..%2Fcatalog")).status).toBe(400);
    expect(calls.map((c) => c.name)).toEqual(["ok-run"]);
    expect(() => deployedPipelines({}, JSON.stringify({ quick: "not-an-arn" }))).toThrow(/RUNNABLE_STATE_MACHINES/);
  });

  it("lists a pipeline's runs, newest first", async () => {
    const res = await send("GET", "/pipelines/quick/runs");
    expect(res.status).toBe(200);
    const runs = res.json.runs as { runId: string; startedAt: string }[];
    expect(runs.map((r) => r.runId)).toContain("aws-1");
    expect([...runs].sort((a, b) => b.startedAt.localeCompare(a.startedAt))).toEqual(runs);
  });

  it("records API-started runs as mode \"aws\", and `runnable retry` refuses them (exit 2) wherever their log is read", async () => {
    expect((await send("POST", "/pipelines/quick/runs", JSON.stringify({ runId: "aws-fail", parameters: { items: [1] } }))).status).toBe(201);
    const stores = storesOf("quick");
    const header = (await stores.runLog.getHeader("aws-fail"))!;
    expect(header.mode).toBe("aws");
    // What the deployed state machine leaves behind when the run fails.
    await stores.runLog.startExecution("aws-fail", { id: "aws-fail", startedAt: new Date().toISOString() });
    await stores.runLog.endExecution("aws-fail", { id: "aws-fail", endedAt: new Date().toISOString(), status: "FAIL", finalParameters: {} });
    const work = tempDir("runnable-aws-retry-");
    try {
      const expectRefused = (r: { code: number; stdout: string; stderr: string }): void => {
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr).toContain("run aws-fail was started on AWS through the runs API");
        expect(r.stderr).toContain("its steps run on Lambda/Batch, not here");
        expect(r.stderr).toContain("runnable retry aws-fail --remote --api <ApiUrl>");
      };
      // The bucket read directly (the run copied to the unscoped layout the CLI reads, as an emulator run's)…
      await s3Stores({ bucket: s3.bucket, client: s3.client }).runLog.createRun(header);
      expectRefused(await runCli(["retry", "aws-fail", "--s3-endpoint", s3.endpoint, "--bucket", s3.bucket], {
        cwd: work.dir, env: { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER" },
      }));
      // …or copied to a local root (same key layout): refused before anything runs here.
      await fsStores(join(work.dir, ".runnable")).runLog.createRun(header);
      expectRefused(await runCli(["retry", "aws-fail"], { cwd: work.dir }));
      // Nothing was started: the run still has its one (failed) execution.
      expect(await stores.blob.list("runs/aws-fail/executions/")).toEqual(["runs/aws-fail/executions/aws-fail.end.json", "runs/aws-fail/executions/aws-fail.start.json"]);
      expect((await stores.runLog.readRunLog("aws-fail")).status).toBe("FAIL");
    } finally {
      work.cleanup();
    }
  }, 60_000);
});
