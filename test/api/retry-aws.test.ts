// `POST /runs/{runId}/retry` on AWS, at the SDK boundary: the API Lambda's routes and backend with
// the real SFN client against a local double of the Step Functions API (JSON 1.0 protocol). What
// it asks Step Functions (DescribeExecution, then RedriveExecution or StartExecution) and what the
// run log says afterwards. The IAM statement that allows it is checked in test/cdk/stack.test.ts.
import { SFNClient } from "@aws-sdk/client-sfn";
import type { APIGatewayProxyEvent } from "aws-lambda";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { deployedPipelines, handleProxyEvent } from "../../handlers/api.js";
import { awsBackend } from "../../src/api/aws.js";
import { retryExecutionName } from "../../src/api/aws-retry.js";
import { loadPipelineSources } from "../../src/api/pipelines.js";
import type { RunsBackend } from "../../src/api/routes.js";
import { RUN_FAILED_CAUSE } from "../../src/core/protocol.js";
import { memoryStores } from "../../src/store/index.js";
import type { Stores } from "../../src/store/types.js";
import { type SfnDouble, startSfnDouble } from "../helpers/sfn-double.js";

const ARN = "arn:aws:states:eu-west-1:123456789012:stateMachine:Test-quick";
const exec = (name: string) => `arn:aws:states:eu-west-1:123456789012:execution:Test-quick:${name}`;
let sfn: SfnDouble;
let backend: RunsBackend;
let stores: Stores;

function proxy(method: string, path: string, body?: string): APIGatewayProxyEvent {
  return {
    httpMethod: method, path, resource: path, body: body ?? null, isBase64Encoded: false, headers: {}, multiValueHeaders: {},
    queryStringParameters: null, multiValueQueryStringParameters: null, pathParameters: null, stageVariables: null,
    requestContext: {} as APIGatewayProxyEvent["requestContext"],
  };
}

async function send(method: string, path: string, body?: string): Promise<{ status: number; json: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await handleProxyEvent(backend, proxy(method, path, body));
  return { status: res.statusCode, json: JSON.parse(res.body) };
}

/** A run the deployed state machine ended FAIL (execution `name`), as its handlers record it. */
async function failedRun(runId: string, name = runId): Promise<void> {
  if (!(await stores.runLog.getHeader(runId))) expect((await send("POST", "/pipelines/quick/runs", JSON.stringify({ runId, parameters: { items: [1] } }))).status).toBe(201);
  await stores.runLog.startExecution(runId, { id: name, startedAt: new Date().toISOString() });
  await stores.runLog.endExecution(runId, { id: name, endedAt: new Date().toISOString(), status: "FAIL", finalParameters: {} });
  sfn.requests.length = 0;
}

const operations = () => sfn.requests.map((r) => [r.target.replace("AWSStepFunctions.", ""), r.body]);

beforeAll(async () => {
  sfn = await startSfnDouble();
  const [quick] = await loadPipelineSources([join(import.meta.dirname, "fixtures", "quick.ts")]);
  stores = memoryStores();
  const client = new SFNClient({ endpoint: sfn.endpoint, region: "eu-west-1", credentials: { accessKeyId: "test", secretAccessKey: "test" } });
  backend = awsBackend(deployedPipelines({ quick: { graph: quick!.built.graph, defaults: {} } }, JSON.stringify({ quick: ARN })), () => stores, client);
}, 60_000);

afterAll(() => sfn?.close());
beforeEach(() => { sfn.requests.length = 0; });

describe("POST /runs/{runId}/retry on AWS", () => {
  it("a step failure (the execution ended at the run's Fail state): a new execution <runId>-retry-<n>, the run RUNNING again at once", async () => {
    await failedRun("r-step");
    sfn.executions.set(exec("r-step"), { status: "FAILED", error: "runnable.StepFailed", cause: RUN_FAILED_CAUSE, redriveStatus: "REDRIVABLE" });
    const res = await send("POST", "/runs/r-step/retry");
    expect(res).toEqual({ status: 202, json: { runId: "r-step", executionArn: exec("r-step-retry-1"), execution: "r-step-retry-1", how: "new-execution" } });
    expect(operations()).toEqual([
      ["DescribeExecution", { executionArn: exec("r-step") }],
      ["StartExecution", { stateMachineArn: ARN, name: "r-step-retry-1", input: JSON.stringify({ runId: "r-step" }) }],
    ]);
    expect((await stores.runLog.runStatus("r-step"))!.status).toBe("RUNNING");
    // That retry failed too: the next one describes it and takes the next name.
    await stores.runLog.endExecution("r-step", { id: "r-step-retry-1", endedAt: new Date(Date.now() + 1000).toISOString(), status: "FAIL", finalParameters: {} });
    sfn.executions.set(exec("r-step-retry-1"), { status: "FAILED", cause: RUN_FAILED_CAUSE, redriveStatus: "REDRIVABLE" });
    sfn.requests.length = 0;
    sfn.takenNames.add("r-step-retry-2"); // a retry whose start was lost: Step Functions remembers its name
    expect((await send("POST", "/runs/r-step/retry")).json).toMatchObject({ execution: "r-step-retry-3", how: "new-execution" });
    expect(operations().map(([op, body]) => [op, (body as { executionArn?: string; name?: string }).executionArn ?? (body as { name: string }).name])).toEqual([
      ["DescribeExecution", exec("r-step-retry-1")], ["StartExecution", "r-step-retry-2"], ["StartExecution", "r-step-retry-3"],
    ]);
  });

  it("an execution stopped outside any step (aborted): RedriveExecution on the same ARN, recorded as <name>-redrive-<n>", async () => {
    await failedRun("r-abort");
    sfn.executions.set(exec("r-abort"), { status: "ABORTED", redriveStatus: "REDRIVABLE", redriveCount: 1, stopDate: Date.now() / 1000 - 3600 });
    const res = await send("POST", "/runs/r-abort/retry");
    expect(res).toEqual({ status: 202, json: { runId: "r-abort", executionArn: exec("r-abort"), execution: "r-abort-redrive-2", how: "redrive" } });
    expect(operations()).toEqual([["DescribeExecution", { executionArn: exec("r-abort") }], ["RedriveExecution", { executionArn: exec("r-abort"), clientToken: expect.any(String) }]]);
    const status = (await stores.runLog.runStatus("r-abort"))!;
    expect(status.status).toBe("RUNNING");
    expect(status.spans.map((s) => s.id)).toEqual(["r-abort", "r-abort-redrive-2"]);
  });

  it("a new execution when Step Functions cannot redrive: not redrivable, ended over 14 days ago, or refused at the call", async () => {
    const cases: [string, Parameters<SfnDouble["executions"]["set"]>[1]][] = [
      ["r-old", { status: "TIMED_OUT", redriveStatus: "REDRIVABLE", stopDate: Date.now() / 1000 - 15 * 24 * 3600 }],
      ["r-not", { status: "ABORTED", redriveStatus: "NOT_REDRIVABLE" }],
      ["r-race", { status: "ABORTED", redriveStatus: "REDRIVABLE" }],
    ];
    sfn.refuseRedrive.add(exec("r-race"));
    const asked: string[][] = [];
    for (const [runId, state] of cases) {
      await failedRun(runId);
      sfn.executions.set(exec(runId), state);
      expect((await send("POST", `/runs/${runId}/retry`)).json).toMatchObject({ execution: `${runId}-retry-1`, how: "new-execution" });
      asked.push(operations().map(([op]) => op as string));
    }
    expect(asked).toEqual([["DescribeExecution", "StartExecution"], ["DescribeExecution", "StartExecution"], ["DescribeExecution", "RedriveExecution", "StartExecution"]]);
  });

  it("refuses what cannot be retried before asking Step Functions: a SUCCESS run, a RUNNING one, an unknown or malformed id", async () => {
    expect((await send("POST", "/pipelines/quick/runs", JSON.stringify({ runId: "r-ok", parameters: { items: [1] } }))).status).toBe(201);
    sfn.requests.length = 0;
    expect(await send("POST", "/runs/r-ok/retry")).toMatchObject({ status: 409, json: { error: { code: "RunRunning" } } });
    await stores.runLog.endExecution("r-ok", { id: "r-ok", endedAt: new Date().toISOString(), status: "SUCCESS", finalParameters: {} });
    expect(await send("POST", "/runs/r-ok/retry")).toEqual({ status: 409, json: { error: { code: "RunSucceeded", message: 'run "r-ok" already succeeded: nothing to retry' } } });
    expect((await send("POST", "/runs/nope/retry")).status).toBe(404);
    expect((await send("POST", "/runs/a%20b/retry")).status).toBe(400);
    expect((await send("GET", "/runs/r-ok/retry")).status).toBe(405);
    expect(sfn.requests).toEqual([]);
  });

  it("names retries within Step Functions' 80 characters", () => {
    expect(retryExecutionName("a".repeat(80), 12)).toHaveLength(80);
    expect(retryExecutionName("a".repeat(80), 1)).not.toBe(retryExecutionName(`${"a".repeat(79)}b`, 1));
  });
});
