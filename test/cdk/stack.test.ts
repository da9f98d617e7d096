import { App, Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { Bucket } from "aws-cdk-lib/aws-s3";
import { AwsSolutionsChecks } from "cdk-nag";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { placeholdersOf } from "../../cdk/construct.js";
import { buildGraph } from "../../src/graph/index.js";
import { FunctionTask, Pipeline } from "../../src/index.js";
import { type PipelineSource, lambdaSizing, loadPipelineSources } from "../../cdk/sources.js";
import { RunnableStack } from "../../cdk/stack.js";
import { compile } from "../../src/compile/index.js";

// Fast template tests: no bundling, no CloudFormation validation (TOOLCHAIN.md).
const ROOT = join(import.meta.dirname, "..", "..");
const FIXTURES = join(import.meta.dirname, "fixtures");
const flags = (JSON.parse(readFileSync(join(ROOT, "cdk.json"), "utf8")) as { context: Record<string, unknown> }).context;

type Json = Record<string, unknown>;
interface Statement { Action: string | string[]; Resource: unknown; Condition?: Json }

let outdir: string;
let sources: PipelineSource[];

function synth(pipelines: PipelineSource[]): { app: App; stack: RunnableStack; template: Template } {
  const app = new App({ outdir: mkdtempSync(join(outdir, "app-")), builtinCloudFormationValidation: false, context: { ...flags, "aws:cdk:bundling-stacks": [] } });
  const stack = new RunnableStack(app, "Test", { pipelines, projectRoot: ROOT, lambda: { timeoutSeconds: 300 } });
  return { app, stack, template: Template.fromStack(stack) };
}

const actionsOf = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const resourcesOf = (s: Statement): unknown[] => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);

/** Statements of the inline policies attached to the role whose logical id starts with `rolePrefix`. */
function statementsOfRole(template: Template, rolePrefix: string): Statement[] {
  const policies = template.findResources("AWS::IAM::Policy") as Record<string, { Properties: { Roles: { Ref: string }[]; PolicyDocument: { Statement: Statement[] } } }>;
  return Object.values(policies)
    .filter((p) => p.Properties.Roles.some((r) => r.Ref.startsWith(rolePrefix)))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}

function logicalId(template: Template, type: string, prefix: string): string {
  const ids = Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix));
  expect(ids, `${type} ${prefix}*`).toHaveLength(1);
  return ids[0]!;
}

beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), "runnable-cdk-"));
  sources = await loadPipelineSources([join(FIXTURES, "tiny.ts"), join(FIXTURES, "heavy.ts")]);
});
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe("RunnablePipelines stack", () => {
  let template: Template;
  let app: App;
  beforeAll(() => ({ template, app } = synth(sources)));

  it("keeps runs in a private, TLS-only, encrypted, versioned bucket with access logs and multipart clean-up", () => {
    const logs = logicalId(template, "AWS::S3::Bucket", "RunnableStorageAccessLogs");
    template.hasResourceProperties("AWS::S3::Bucket", {
      VersioningConfiguration: { Status: "Enabled" },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }] },
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: "Enabled" })]) },
      LoggingConfiguration: { DestinationBucketName: { Ref: logs } },
    });
    const data = logicalId(template, "AWS::S3::Bucket", "RunnableStorageData");
    template.hasResourceProperties("AWS::S3::BucketPolicy", {
      Bucket: { Ref: data },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } })]) },
    });
  });

  it("runs every Lambda on Node.js 22 and sizes each step Lambda for its largest step", () => {
    // Ours: two step handlers + the API handler (CDK adds its own VPC clean-up function for Batch).
    const fns = (Object.values(template.findResources("AWS::Lambda::Function")) as { Properties: Json }[])
      .filter((f) => String(f.Properties.Description).startsWith("runnable-ts"));
    expect(fns.length).toBe(3);
    for (const fn of fns) expect(fn.Properties.Runtime).toBe("nodejs22.x");
    const tiny = template.findResources("AWS::Lambda::Function", { Properties: { Description: "runnable-ts step handler of pipeline tiny" } });
    expect(Object.values(tiny).map((f) => (f as { Properties: Json }).Properties)).toEqual([
      expect.objectContaining({ MemorySize: 2048, Timeout: 300, TracingConfig: { Mode: "Active" } }),
    ]);
  });

  it("creates one STANDARD state machine per pipeline with full logging and X-Ray tracing", () => {
    const machines = Object.values(template.findResources("AWS::StepFunctions::StateMachine")) as { Properties: Json }[];
    expect(machines).toHaveLength(2);
    for (const m of machines) {
      expect(m.Properties).toMatchObject({
        StateMachineType: "STANDARD",
        TracingConfiguration: { Enabled: true },
        LoggingConfiguration: { Level: "ALL", IncludeExecutionData: true },
      });
    }
  });

  it("substitutes every ${…} placeholder of each compiled definition", () => {
    for (const source of sources) {
      const compiled = compile(source.built);
      const deployed = template.findResources("AWS::StepFunctions::StateMachine", { Properties: { DefinitionString: JSON.stringify(compiled.definition) } });
      const props = (Object.values(deployed)[0] as { Properties: { DefinitionSubstitutions: Json } }).Properties;
      const used = placeholdersOf(JSON.stringify(compiled.definition));
      expect(used.length).toBeGreaterThan(0);
      expect(Object.keys(props.DefinitionSubstitutions).sort()).toEqual(used);
      expect([...compiled.placeholders].sort()).toEqual(used);
      for (const value of Object.values(props.DefinitionSubstitutions)) expect(JSON.stringify(value)).not.toMatch(/\$\{/);
    }
  });

  it("puts AWS_IAM authorization, request validation and logs on every API method", () => {
    const methods = Object.values(template.findResources("AWS::ApiGateway::Method")) as { Properties: Json }[];
    expect(methods.map((m) => `${m.Properties.HttpMethod}`).sort()).toEqual(["GET", "GET", "GET", "POST"]);
    for (const m of methods) {
      expect(m.Properties.AuthorizationType).toBe("AWS_IAM");
      expect(m.Properties.RequestValidatorId).toBeDefined();
    }
    template.hasResourceProperties("AWS::ApiGateway::Method", { HttpMethod: "POST", RequestModels: { "application/json": Match.anyValue() } });
    template.hasResourceProperties("AWS::ApiGateway::Model", { Schema: Match.objectLike({ additionalProperties: false }) });
    for (const type of ["DEFAULT_4XX", "DEFAULT_5XX"]) {
      template.hasResourceProperties("AWS::ApiGateway::GatewayResponse", { ResponseType: type, ResponseTemplates: { "application/json": Match.stringLikeRegexp('"error":') } });
    }
    template.hasResourceProperties("AWS::ApiGateway::Stage", {
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.anyValue() },
      MethodSettings: Match.arrayWith([Match.objectLike({ LoggingLevel: "INFO" })]),
      TracingEnabled: true,
    });
  });

  it("gives each step and job role S3 access to its own pipeline's runs/* and catalog/* only, and the API role its pipelines' runs/* only", () => {
    const data = logicalId(template, "AWS::S3::Bucket", "RunnableStorageData");
    const object = (scope: string) => ({ "Fn::Join": ["", [{ "Fn::GetAtt": [data, "Arn"] }, `/${scope}/*`]] });
    const sorted = <T>(xs: T[]) => [...xs].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    /** Every S3 grant of the role, exactly: object access and prefix-conditioned listing of each pipeline's scope (CDK may merge statements). */
    const check = (rolePrefix: string, scopes: Record<string, string[]>) => {
      const s3 = statementsOfRole(template, rolePrefix).filter((s) => actionsOf(s).some((a) => a.startsWith("s3:")));
      const lists = s3.filter((s) => actionsOf(s).includes("s3:ListBucket"));
      const objects = s3.filter((s) => !actionsOf(s).includes("s3:ListBucket"));
      for (const s of lists) {
        expect(actionsOf(s)).toEqual(["s3:ListBucket"]);
        expect(resourcesOf(s)).toEqual([{ "Fn::GetAtt": [data, "Arn"] }]);
      }
      for (const s of objects) expect(actionsOf(s).some((a) => /Delete|\*/.test(a))).toBe(false);
      const want = Object.entries(scopes).flatMap(([n, areas]) => areas.map((a) => `pipelines/${n}/${a}`));
      expect(sorted(lists.flatMap((s) => (s.Condition as { StringLike: { "s3:prefix": string[] } }).StringLike["s3:prefix"])), rolePrefix).toEqual(sorted(want.map((x) => `${x}/*`)));
      expect(sorted(objects.flatMap(resourcesOf)), rolePrefix).toEqual(sorted(want.map(object)));
    };
    check("RunnablePipelinetinyStepRole", { tiny: ["runs", "catalog"] });
    check("RunnableBatchheavyJobRole", { heavy: ["runs", "catalog"] });
    check("RunnableApiHandlerRole", { tiny: ["runs"], heavy: ["runs"] });
    // The handlers are told their scope: what they write is what their role allows.
    const envOf = (type: string, id: string) => JSON.stringify(template.findResources(type)[logicalId(template, type, id)]);
    expect(envOf("AWS::Lambda::Function", "RunnablePipelinetinyStepFunction")).toContain('"RUNNABLE_PREFIX":"pipelines/tiny/"');
    expect(envOf("AWS::Batch::JobDefinition", "RunnableBatchheavyJob")).toContain('{"Name":"RUNNABLE_PREFIX","Value":"pipelines/heavy/"}');
  });

  it("lets each state machine invoke only its own step function and submit only to its queue and job definition", () => {
    for (const name of ["tiny", "heavy"]) {
      const statements = statementsOfRole(template, `RunnablePipeline${name}StateMachineRole`);
      const invoke = statements.filter((s) => actionsOf(s).includes("lambda:InvokeFunction"));
      expect(invoke.flatMap(resourcesOf)).toEqual([{ "Fn::GetAtt": [logicalId(template, "AWS::Lambda::Function", `RunnablePipeline${name}StepFunction`), "Arn"] }]);
      const submit = statements.filter((s) => actionsOf(s).includes("batch:SubmitJob")).flatMap(resourcesOf);
      if (name === "tiny") expect(submit).toEqual([]);
      else expect(submit).toEqual([{ "Fn::GetAtt": [logicalId(template, "AWS::Batch::JobQueue", "RunnableBatchQueue"), "JobQueueArn"] }, { Ref: logicalId(template, "AWS::Batch::JobDefinition", "RunnableBatchheavyJob") }]);
    }
    const start = statementsOfRole(template, "RunnableApiHandlerRole").filter((s) => actionsOf(s).some((a) => a.startsWith("states:")));
    expect(start.flatMap(actionsOf)).toEqual(["states:StartExecution"]);
    expect(start.flatMap(resourcesOf).map((r) => (r as { Ref: string }).Ref).sort()).toEqual(
      ["heavy", "tiny"].map((n) => logicalId(template, "AWS::StepFunctions::StateMachine", `RunnablePipeline${n}StateMachine`)));
  });

  it("runs batch steps on Fargate with an image built from the repo's Dockerfile", () => {
    template.hasResourceProperties("AWS::Batch::ComputeEnvironment", { ComputeResources: Match.objectLike({ Type: "FARGATE" }) });
    template.hasResourceProperties("AWS::Batch::JobDefinition", {
      PlatformCapabilities: ["FARGATE"],
      ContainerProperties: Match.objectLike({
        Command: ["node", "--import", "tsx", "--conditions=runnable-ts-source", "handlers/batch.ts"],
        Environment: Match.arrayWith([{ Name: "RUNNABLE_PIPELINE_FILE", Value: "test/cdk/fixtures/heavy.ts" }]),
        ResourceRequirements: Match.arrayWith([{ Type: "MEMORY", Value: "4096" }, { Type: "VCPU", Value: "2" }]),
      }),
    });
    const assets = JSON.parse(readFileSync(join(app.outdir, "Test.assets.json"), "utf8")) as { dockerImages: Record<string, { source: { directory: string; dockerFile?: string } }> };
    expect(Object.values(assets.dockerImages).map((d) => d.source.dockerFile ?? "Dockerfile")).toEqual(["Dockerfile"]);
  });

  it("outputs the API URL, the bucket name and each state machine ARN", () => {
    const outputs = Object.keys(template.findOutputs("*"));
    for (const prefix of ["RunnableApiUrl", "RunnableBucketName", "RunnableStateMachinetiny", "RunnableStateMachineheavy"]) {
      expect(outputs.some((o) => o.startsWith(prefix)), prefix).toBe(true);
    }
  });

  it("has zero unacknowledged cdk-nag AwsSolutions findings, and the check does catch a non-compliant resource", () => {
    expect(new AwsSolutionsChecks(app).validateScope(app).violations).toEqual([]);
    const stack = app.node.findChild("Test") as Stack;
    new Bucket(stack, "Careless");
    const rules = new AwsSolutionsChecks(app).validateScope(app).violations.map((v) => v.ruleName).sort();
    expect(rules).toEqual(["AwsSolutions-S1", "AwsSolutions-S10"]);
  });
});

describe("deployment shape", () => {
  it("lets a state machine with a Distributed Map run only its own child executions and use only its pipeline's catalog/*", async () => {
    const [wide] = await loadPipelineSources([join(FIXTURES, "wide.ts")]);
    const { app, template } = synth([wide!]);
    template.hasResourceProperties("AWS::StepFunctions::StateMachine", { StateMachineName: "Test-wide" });
    const statements = statementsOfRole(template, "RunnablePipelinewideStateMachineRole");
    const byAction = (action: string) => statements.filter((st) => actionsOf(st).includes(action)).flatMap(resourcesOf).map((r) => JSON.stringify(r));
    expect(byAction("states:StartExecution")).toEqual([expect.stringMatching(/:stateMachine:Test-wide"/)]);
    expect(byAction("states:DescribeExecution")).toEqual([expect.stringMatching(/:execution:Test-wide:\*"/)]);
    expect(byAction("s3:GetObject")).toEqual([expect.stringContaining("/pipelines/wide/catalog/*")]);
    expect(new AwsSolutionsChecks(app).validateScope(app).violations).toEqual([]);
  });

  it("writes a Distributed Map's results under the pipeline's scope, also with a bucket prefix", async () => {
    const [wide] = await loadPipelineSources([join(FIXTURES, "wide.ts")]);
    const app = new App({ outdir: mkdtempSync(join(outdir, "app-")), builtinCloudFormationValidation: false, context: { ...flags, "aws:cdk:bundling-stacks": [] } });
    const stack = new RunnableStack(app, "Prefixed", { pipelines: [wide!], projectRoot: ROOT, bucket: { prefix: "team-a" } });
    const template = Template.fromStack(stack);
    const machine = Object.values(template.findResources("AWS::StepFunctions::StateMachine"))[0] as { Properties: { DefinitionSubstitutions: Record<string, unknown>; DefinitionString: unknown } };
    expect(machine.Properties.DefinitionSubstitutions.KeyPrefix).toBe("team-a/pipelines/wide/");
    expect(JSON.stringify(machine.Properties.DefinitionString)).toContain("${KeyPrefix}catalog/{}/.internal/map-results");
    const statements = statementsOfRole(template, "RunnablePipelinewideStateMachineRole");
    expect(statements.filter((st) => actionsOf(st).includes("s3:PutObject")).flatMap(resourcesOf).map((r) => JSON.stringify(r))).toEqual([expect.stringContaining("/team-a/pipelines/wide/catalog/*")]);
    expect(new AwsSolutionsChecks(app).validateScope(app).violations).toEqual([]);
  });

  it("adds no Batch resources when no step asks for compute: batch", () => {
    const { template } = synth(sources.filter((s) => s.built.graph.name === "tiny"));
    expect(Object.keys(template.findResources("AWS::Batch::JobQueue"))).toEqual([]);
    expect(Object.keys(template.findResources("AWS::EC2::VPC"))).toEqual([]);
  });

  it("sizes a step Lambda by the largest memory and timeout of its lambda steps, capped at 900 s", () => {
    const tiny = sources.find((s) => s.built.graph.name === "tiny")!;
    expect(lambdaSizing(tiny.built, { timeoutSeconds: 300 })).toEqual({ memoryMiB: 2048, timeoutSeconds: 300 });
    expect(lambdaSizing(tiny.built, { timeoutSeconds: 5000, memoryMiB: 4096 })).toEqual({ memoryMiB: 4096, timeoutSeconds: 900 });
  });

  it("gives a step with its own timeout the Task's grace so the handler can record the timeout", () => {
    const steps = [
      new FunctionTask({ name: "quick", function: () => 1, timeoutSeconds: 2 }),
      new FunctionTask({ name: "slow", function: () => 1, timeoutSeconds: 890 }),
    ];
    expect(lambdaSizing(buildGraph(new Pipeline({ steps: steps.slice(0, 1) })), {}).timeoutSeconds).toBe(32);
    expect(lambdaSizing(buildGraph(new Pipeline({ steps })), {}).timeoutSeconds).toBe(900);
  });
});
