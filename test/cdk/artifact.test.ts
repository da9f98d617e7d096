import { StartExecutionCommand } from "@aws-sdk/client-sfn";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { awsBackend } from "../../src/api/aws.js";
import { loadPipelineSources } from "../../src/api/pipelines.js";
import { handleApiRequest } from "../../src/api/routes.js";
import { type Json, type JsonObject, inspectDefinition, substitute } from "../../src/emulate/definition.js";
import { runMachine } from "../../src/emulate/machine.js";
import { RetryCounter } from "../../src/emulate/tasks.js";
import { pipelineScope, s3Stores } from "../../src/store/index.js";
import { invokeBundle, provideRuntimeSdk } from "../helpers/lambda-bundle.js";
import { type S3rverHandle, startS3rver } from "../helpers/s3rver.js";

// "What would be deployed is what ran": a real `cdk synth` (bundling on, offline, no credentials),
// then the ML example executed from the synthesised template's state-machine definition with the
// synthesised Lambda bundle as the step handler, against a real S3 protocol server. The run is
// started by the API code (run header + StartExecution named after the run id).
const ROOT = join(import.meta.dirname, "..", "..");
const STACK = "ArtifactTest";

type Resource = { Type: string; Properties: Record<string, unknown>; Metadata?: Record<string, string> };

let work: string;
let out: string;
let s3: S3rverHandle;
let template: { Resources: Record<string, Resource> };

/** Runs one invocation of the bundle in its own process (a cold Lambda container), with the function's environment. */
async function invoke(bundle: string, env: Record<string, string>, event: Json): Promise<Json> {
  const answer = await invokeBundle(bundle, env, event, 900_000);
  if (!answer.ok) throw Object.assign(new Error(answer.message), { name: answer.name });
  return (answer.result ?? null) as Json;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "runnable-artifact-"));
  out = join(work, "cdk.out");
  await promisify(execFile)(join(ROOT, "node_modules", ".bin", "cdk"), [
    // The repo's app as `npx cdk synth` runs it: every example, cdk-nag as a validation plugin.
    "synth", "--no-notices", "-q", "-o", out, "-c", `stackName=${STACK}`,
  ], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: work, CDK_DISABLE_VERSION_CHECK: "true", CDK_DISABLE_CLI_TELEMETRY: "true" },
    maxBuffer: 64 * 1024 * 1024,
  });
  template = JSON.parse(readFileSync(join(out, `${STACK}.template.json`), "utf8")) as typeof template;
  // On Lambda the runtime provides the AWS SDK v3 clients (external to the bundle); nothing else is.
  provideRuntimeSdk(work);
  s3 = await startS3rver({ bucket: "artifact-runs" });
}, 180_000);

afterAll(async () => {
  await s3?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("the synthesised artifact", () => {
  it("`cdk synth` of the repo app deploys every example with zero unacknowledged cdk-nag findings", () => {
    const machines = Object.keys(template.Resources).filter((id) => template.Resources[id]!.Type === "AWS::StepFunctions::StateMachine");
    expect(machines.map((id) => id.replace(/StateMachine[0-9A-F]{8}$/, "")).sort()).toEqual(
      ["conditional", "mapreduce", "mlpipeline", "notebook", "onfailure", "shelltask"].map((n) => `RunnablePipeline${n}`));
    // The notebook example's step is a Batch job: the stack brings Batch (its image is the repo's Dockerfile).
    expect(Object.values(template.Resources).filter((r) => r.Type === "AWS::Batch::JobDefinition")).toHaveLength(1);
    const report = JSON.parse(readFileSync(join(out, "validation-report.json"), "utf8")) as { pluginReports: { violations?: unknown[] }[] };
    expect(report.pluginReports.flatMap((r) => r.violations ?? [])).toEqual([]);
    // The API Lambda carries the pipelines' graphs, never their code (the ML functions stay in the step bundle).
    const api = Object.values(template.Resources).find((r) => r.Type === "AWS::Lambda::Function" && String(r.Properties.Description).startsWith("runnable-ts runs API"))!;
    const apiCode = readFileSync(join(out, api.Metadata!["aws:asset:path"]!, "index.mjs"), "utf8");
    expect(apiCode).toContain('"train_models.xgboost.train_xgb"');
    expect(apiCode).not.toContain("model_type");
  });

  it("runs the ML example: template definition + bundled step handler, started through the API code", async () => {
    const resources = Object.entries(template.Resources);
    const [smId, machine] = resources.find(([id, r]) => r.Type === "AWS::StepFunctions::StateMachine" && id.startsWith("RunnablePipelinemlpipeline"))!;
    const [fnId, fn] = resources.find(([, r]) => r.Type === "AWS::Lambda::Function" && r.Properties.Description === "runnable-ts step handler of pipeline ml-pipeline")!;

    // Substitutions as CloudFormation would resolve them, with local values for the deployed resources.
    const local: Record<string, string> = {};
    for (const [name, value] of Object.entries(machine.Properties.DefinitionSubstitutions as Record<string, unknown>)) {
      const v = JSON.stringify(value);
      if (v === JSON.stringify({ "Fn::GetAtt": [fnId, "Arn"] })) local[name] = `arn:aws:lambda:us-east-1:000000000000:function:${fnId}`;
      else if (/RunnableStorageData[0-9A-F]+"\}$/.test(v)) local[name] = s3.bucket;
      else throw new Error(`no local value for substitution ${name} = ${v}`);
    }
    const definition = substitute(JSON.parse(machine.Properties.DefinitionString as string) as JsonObject, local);
    expect(JSON.stringify(definition)).not.toMatch(/\$\{/);

    // The bundle is self-contained: one file plus the packages it loads at run time.
    const assetDir = join(out, fn.Metadata!["aws:asset:path"]!);
    const bundle = join(assetDir, "index.mjs");
    expect(readdirSync(assetDir).sort()).toEqual(["index.mjs", "node_modules"]);
    expect(existsSync(join(assetDir, "node_modules", "ml-xgboost", "package.json"))).toBe(true);
    const env: Record<string, string> = {
      ...(fn.Properties.Environment as { Variables: Record<string, string> }).Variables,
      RUNNABLE_BUCKET: s3.bucket, RUNNABLE_S3_ENDPOINT: s3.endpoint, AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    };

    const { tasks, problems } = inspectDefinition(definition);
    expect(problems).toEqual([]);
    const counter = new RetryCounter();
    const handlers = Object.fromEntries([...tasks.values()].map((t) => {
      expect(t.kind).toBe("lambda");
      return [t.name, async (input: Json) => {
        const request = input as { FunctionName: string; Payload: JsonObject };
        expect(request.FunctionName).toBe(local.StepFunctionArn);
        const payload = { ...request.Payload, retryCount: counter.next(t.name, request.Payload.indexes) };
        return { Payload: await invoke(bundle, env, payload), StatusCode: 200 };
      }];
    }));

    // Step Functions stand-in: StartExecution runs the definition locally.
    const executions: Promise<unknown>[] = [];
    const sfn = {
      send: async (command: StartExecutionCommand) => {
        const { name, input, stateMachineArn } = command.input;
        executions.push(runMachine(definition, JSON.parse(input!) as JsonObject, { executionName: name!, handlers }));
        return { executionArn: `${stateMachineArn!.replace(":stateMachine:", ":execution:")}:${name}`, startDate: new Date() };
      },
    };
    // The API reads each pipeline's runs in its key scope, where the step handler (RUNNABLE_PREFIX from the template) writes them.
    expect(env.RUNNABLE_PREFIX).toBe(pipelineScope("ml-pipeline"));
    const stores = (name: string) => s3Stores({ bucket: s3.bucket, client: s3.client, prefix: pipelineScope(name) });
    const [source] = await loadPipelineSources([join(ROOT, "examples/ml-pipeline/pipeline.ts")]);
    const pipelines = new Map([["ml-pipeline", { name: "ml-pipeline", graph: source!.built.graph, defaults: source!.defaults, stateMachineArn: `arn:aws:states:us-east-1:000000000000:stateMachine:${smId}` }]]);
    const api = awsBackend(pipelines, stores, sfn as never);

    const started = await handleApiRequest(api, { method: "POST", path: "/pipelines/ml-pipeline/runs", query: {}, body: JSON.stringify({ runId: "artifact-1", tag: "deployed" }) });
    expect(started).toEqual({ status: 201, body: { runId: "artifact-1", executionArn: expect.stringContaining(":execution:") as string, created: true } });
    const [result] = (await Promise.all(executions)) as { status: string; error?: unknown }[];
    const got = await handleApiRequest(api, { method: "GET", path: "/runs/artifact-1", query: {}, body: undefined });
    expect(result, JSON.stringify(got.body)).toMatchObject({ status: "SUCCEEDED" });

    const log = got.body as { status: string; tag: string; finalParameters: Record<string, unknown>; steps: Record<string, { status: string; catalog: { name: string; md5: string }[] }> };
    expect(got.status).toBe(200);
    expect(log.status).toBe("SUCCESS");
    expect(log.tag).toBe("deployed");
    expect(Object.keys(log.steps).sort()).toEqual([
      "data_preparation", "generate_data", "generate_report", "select_best_model", "train_models",
      "train_models.random_forest.train_rf", "train_models.xgboost.train_xgb",
    ]);
    for (const step of Object.values(log.steps)) expect(step.status).toBe("SUCCESS");
    expect(log.finalParameters.best_model).toBeDefined();
    expect(log.steps.select_best_model!.catalog.map((c) => c.name)).toContain("best_model.json");
    expect(statSync(bundle).size).toBeGreaterThan(0);
  }, 240_000);
});
