import { App, Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { Bucket } from "aws-cdk-lib/aws-s3";
import { AwsSolutionsChecks } from "cdk-nag";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { placeholdersOf } from "../../cdk/construct.js";
import { type PipelineSource, loadPipelineSources } from "../../cdk/sources.js";
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

/** Every S3 grant of a role, exactly: object access and prefix-conditioned listing of each pipeline's scope (CDK may merge statements). */
function expectS3Scopes(template: Template, rolePrefix: string, scopes: Record<string, string[]>): void {
  const data = logicalId(template, "AWS::S3::Bucket", "RunnableStorageData");
  const object = (scope: string) => ({ "Fn::Join": ["", [{ "Fn::GetAtt": [data, "Arn"] }, `/${scope}/*`]] });
  const sorted = <T>(xs: T[]) => [...xs].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
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

  it("runs every Lambda on Node.js 22 and each step in a function of its own size", () => {
    // Ours: tiny's default function (bookkeeping) plus one per size its steps ask for (square: 2048 MiB,
    // sum: 60 s + 30 s grace, count: 30 s + 30 s), heavy's default function, the API handler and the finaliser (CDK
    // adds its own VPC clean-up function for Batch).
    const fns = (Object.values(template.findResources("AWS::Lambda::Function")) as { Properties: Json }[])
      .filter((f) => String(f.Properties.Description).startsWith("runnable-ts"));
    expect(fns.length).toBe(7);
    for (const fn of fns) expect(fn.Properties.Runtime).toBe("nodejs22.x");
    const tiny = fns.filter((f) => String(f.Properties.Description).startsWith("runnable-ts step handler of pipeline tiny"))
      .map((f) => [f.Properties.Description, f.Properties.MemorySize, f.Properties.Timeout, f.Properties.TracingConfig]);
    expect(tiny).toEqual([
      ["runnable-ts step handler of pipeline tiny", 1024, 300, { Mode: "Active" }],
      ["runnable-ts step handler of pipeline tiny, for steps sized m1024t60", 1024, 60, { Mode: "Active" }],
      ["runnable-ts step handler of pipeline tiny, for steps sized m1024t90", 1024, 90, { Mode: "Active" }],
      ["runnable-ts step handler of pipeline tiny, for steps sized m2048t150", 2048, 150, { Mode: "Active" }],
    ]);
    // All run with one role, and the state machine may invoke exactly these four.
    const roles = new Set(fns.filter((f) => String(f.Properties.Description).includes("pipeline tiny")).map((f) => JSON.stringify(f.Properties.Role)));
    expect(roles.size).toBe(1);
    const invoke = statementsOfRole(template, "RunnablePipelinetinyStateMachineRole").filter((s) => actionsOf(s).includes("lambda:InvokeFunction")).flatMap(resourcesOf);
    expect(invoke).toHaveLength(4);
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
    expect(methods.map((m) => `${m.Properties.HttpMethod}`).sort()).toEqual(["GET", "GET", "GET", "POST", "POST"]);
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
    const check = (rolePrefix: string, scopes: Record<string, string[]>) => expectS3Scopes(template, rolePrefix, scopes);
    check("RunnablePipelinetinyStepRole", { tiny: ["runs", "catalog"] });
    check("RunnableBatchheavyJobRole", { heavy: ["runs", "catalog"] });
    check("RunnableApiHandlerRole", { tiny: ["runs"], heavy: ["runs"] });
    // The handlers are told their scope: what they write is what their role allows.
    const envOf = (type: string, id: string) => JSON.stringify(template.findResources(type)[logicalId(template, type, id)]);
    expect(envOf("AWS::Lambda::Function", "RunnablePipelinetinyStepFunction")).toContain('"RUNNABLE_PREFIX":"pipelines/tiny/"');
    const jobs = Object.values(template.findResources("AWS::Batch::JobDefinition")).map((j) => JSON.stringify(j));
    expect(jobs).toHaveLength(2);
    for (const job of jobs) expect(job).toContain('{"Name":"RUNNABLE_PREFIX","Value":"pipelines/heavy/"}');
  });

  it("lets each state machine invoke only its own step function and submit only to its queue and job definition", () => {
    for (const name of ["tiny", "heavy"]) {
      const statements = statementsOfRole(template, `RunnablePipeline${name}StateMachineRole`);
      const invoke = statements.filter((s) => actionsOf(s).includes("lambda:InvokeFunction"));
      const fns = Object.keys(template.findResources("AWS::Lambda::Function")).filter((id) => id.startsWith(`RunnablePipeline${name}Step`)).sort();
      expect(invoke.flatMap(resourcesOf)).toEqual(fns.map((id) => ({ "Fn::GetAtt": [id, "Arn"] })));
      const submit = statements.filter((s) => actionsOf(s).includes("batch:SubmitJob")).flatMap(resourcesOf);
      if (name === "tiny") expect(submit).toEqual([]);
      else {
        expect(submit).toEqual([{ "Fn::GetAtt": [logicalId(template, "AWS::Batch::JobQueue", "RunnableBatchQueue"), "JobQueueArn"] },
          { Ref: logicalId(template, "AWS::Batch::JobDefinition", "RunnableBatchheavyJobv2m4096") }, { Ref: logicalId(template, "AWS::Batch::JobDefinition", "RunnableBatchheavyJobv4m8192") }]);
      }
    }
    // The API starts executions of the stack's machines, and describes/redrives their executions (retries), nothing else.
    const machine = (n: string) => logicalId(template, "AWS::StepFunctions::StateMachine", `RunnablePipeline${n}StateMachine`);
    const executions = (n: string) => ({ "Fn::Join": ["", ["arn:", { Ref: "AWS::Partition" }, ":states:", { Ref: "AWS::Region" }, ":", { Ref: "AWS::AccountId" }, ":execution:", { "Fn::GetAtt": [machine(n), "Name"] }, ":*"]] });
    const api = statementsOfRole(template, "RunnableApiHandlerRole").filter((s) => actionsOf(s).some((a) => a.startsWith("states:")));
    expect(api.map((st) => ({ actions: actionsOf(st), resources: resourcesOf(st) }))).toEqual([
      { actions: ["states:StartExecution"], resources: [{ Ref: machine("heavy") }, { Ref: machine("tiny") }] },
      { actions: ["states:DescribeExecution", "states:RedriveExecution"], resources: [executions("heavy"), executions("tiny")] },
    ]);
  });

  it("runs batch steps on Fargate with an image built from the repo's Dockerfile, one job definition per step size", () => {
    template.hasResourceProperties("AWS::Batch::ComputeEnvironment", { ComputeResources: Match.objectLike({ Type: "FARGATE" }) });
    const jobs = Object.values(template.findResources("AWS::Batch::JobDefinition")) as { Properties: { PlatformCapabilities: string[]; ContainerProperties: { Command: string[]; Environment: Json[]; ResourceRequirements: { Type: string; Value: string }[] } } }[];
    // Each job definition is one step's own Fargate size (2 vCPU/4096 MiB, and 4 vCPU with its smallest memory), never a mix.
    expect(jobs.map((j) => Object.fromEntries(j.Properties.ContainerProperties.ResourceRequirements.map((r) => [r.Type, r.Value])))
      .sort((a, b) => Number(a.VCPU) - Number(b.VCPU))).toEqual([{ VCPU: "2", MEMORY: "4096" }, { VCPU: "4", MEMORY: "8192" }]);
    for (const job of jobs) {
      expect(job.Properties.PlatformCapabilities).toEqual(["FARGATE"]);
      expect(job.Properties.ContainerProperties.Command).toEqual(["node", "--import", "tsx", "--conditions=runnable-ts-source", "handlers/batch.ts"]);
      expect(job.Properties.ContainerProperties.Environment).toContainEqual({ Name: "RUNNABLE_PIPELINE_FILE", Value: "test/cdk/fixtures/heavy.ts" });
    }
    // The two job definitions share one job role.
    expect(Object.keys(template.findResources("AWS::IAM::Role")).filter((id) => id.startsWith("RunnableBatchheavyJobRole"))).toHaveLength(1);
    const assets = JSON.parse(readFileSync(join(app.outdir, "Test.assets.json"), "utf8")) as { dockerImages: Record<string, { source: { directory: string; dockerFile?: string } }> };
    expect(Object.values(assets.dockerImages).map((d) => d.source.dockerFile ?? "Dockerfile")).toEqual(["Dockerfile"]);
  });

  it("finalises runs whose execution failed, timed out or was aborted: an EventBridge rule on the stack's machines → a small Lambda with run-log access only", () => {
    // In the order the pipelines were given (tiny, heavy).
    const machines = ["tiny", "heavy"].map((n) => logicalId(template, "AWS::StepFunctions::StateMachine", `RunnablePipeline${n}StateMachine`));
    const fnId = logicalId(template, "AWS::Lambda::Function", "RunnableFinaliserHandlerFunction");
    const rules = Object.values(template.findResources("AWS::Events::Rule")) as { Properties: Json }[];
    const rule = rules.find((r) => String(r.Properties.Description).startsWith("runnable-ts: finalise"))!;
    expect(rule.Properties.EventPattern).toEqual({
      "source": ["aws.states"],
      "detail-type": ["Step Functions Execution Status Change"],
      "detail": { status: ["FAILED", "TIMED_OUT", "ABORTED"], stateMachineArn: machines.map((id) => ({ Ref: id })) },
    });
    expect(rule.Properties.Targets).toEqual([expect.objectContaining({ Arn: { "Fn::GetAtt": [fnId, "Arn"] } })]);
    // Only EventBridge, from this rule, may invoke it.
    template.hasResourceProperties("AWS::Lambda::Permission", { FunctionName: { "Fn::GetAtt": [fnId, "Arn"] }, Principal: "events.amazonaws.com", SourceArn: Match.objectLike({ "Fn::GetAtt": Match.arrayWith(["Arn"]) }) });
    template.hasResourceProperties("AWS::Lambda::Function", { Description: Match.stringLikeRegexp("^runnable-ts finaliser"), MemorySize: 256, Timeout: 60, Runtime: "nodejs22.x" });
    const statements = statementsOfRole(template, "RunnableFinaliserHandlerRole").filter((st) => !actionsOf(st).some((a) => a.startsWith("logs:") || a.startsWith("xray:")));
    // Run logs of the stack's pipelines only (each in its own key scope), never catalogs.
    expectS3Scopes(template, "RunnableFinaliserHandlerRole", { tiny: ["runs"], heavy: ["runs"] });
    const states = statements.filter((st) => !actionsOf(st).some((a) => a.startsWith("s3:")));
    expect(states.map((st) => actionsOf(st))).toEqual([["states:DescribeExecution"]]);
    expect(JSON.stringify(resourcesOf(states[0]!))).toMatch(/:execution:.*StateMachine.*Name.*:\*/);
    expect(resourcesOf(states[0]!)).toHaveLength(2);
    // The handler tells the pipelines apart by the execution's state machine.
    const env = JSON.stringify(template.findResources("AWS::Lambda::Function")[fnId]);
    expect(env).toContain("RUNNABLE_STATE_MACHINES");
    for (const id of machines) expect(env).toContain(id);
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
  it("gives a state machine with a Distributed Map exactly what the Map needs: its own child executions and Map Runs, its item lists and result files, in its own pipeline's key scope", async () => {
    const [wide] = await loadPipelineSources([join(FIXTURES, "wide.ts")]);
    const { app, template } = synth([wide!]);
    template.hasResourceProperties("AWS::StepFunctions::StateMachine", { StateMachineName: "Test-wide" });
    const bucket = logicalId(template, "AWS::S3::Bucket", "RunnableStorageData");
    const objects = (key: string) => ({ "Fn::Join": ["", [{ "Fn::GetAtt": [bucket, "Arn"] }, key]] });
    const states = (resource: string) => ({ "Fn::Join": ["", ["arn:", { Ref: "AWS::Partition" }, ":states:", { Ref: "AWS::Region" }, ":", { Ref: "AWS::AccountId" }, resource]] });
    const statements = statementsOfRole(template, "RunnablePipelinewideStateMachineRole")
      .filter((st) => !actionsOf(st).some((a) => a.startsWith("lambda:") || a.startsWith("logs:") || a.startsWith("xray:")));
    expect(statements.map((st) => ({ actions: actionsOf(st), resources: resourcesOf(st) }))).toEqual([
      { actions: ["states:StartExecution"], resources: [states(":stateMachine:Test-wide")] },
      { actions: ["states:DescribeExecution", "states:StopExecution"], resources: [states(":execution:Test-wide:*")] },
      { actions: ["states:RedriveExecution"], resources: [states(":execution:Test-wide/each:*")] },
      { actions: ["s3:GetObject"], resources: [objects("/pipelines/wide/catalog/*/.internal/map-items/*")] },
      { actions: ["s3:AbortMultipartUpload", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:PutObject"], resources: [objects("/pipelines/wide/catalog/*/.internal/map-results/*")] },
    ]);
    expect(new AwsSolutionsChecks(app).validateScope(app).violations).toEqual([]);
  });

  it("has zero unacknowledged cdk-nag findings for a pipeline using every construct, in a region-agnostic stack and in concrete environments (as `cdk synth` gives)", async () => {
    const [everything] = await loadPipelineSources([join(FIXTURES, "everything.ts")]);
    const envs = [undefined, { region: "us-east-1" }, { account: "123456789012", region: "eu-west-1" }];
    for (const env of envs) {
      const app = new App({ outdir: mkdtempSync(join(outdir, "app-")), builtinCloudFormationValidation: false, context: { ...flags, "aws:cdk:bundling-stacks": [] } });
      new RunnableStack(app, "Everything", { pipelines: [everything!], projectRoot: ROOT, ...(env ? { stackProps: { env } } : {}) });
      expect(new AwsSolutionsChecks(app).validateScope(app).violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.resourceLogicalId).join(",")}`), JSON.stringify(env)).toEqual([]);
    }
  });

  it("lets step functions and jobs read exactly their steps' declared secrets, and tells their handlers to read them from AWS", async () => {
    const [everything] = await loadPipelineSources([join(FIXTURES, "everything.ts")]);
    const app = new App({ outdir: mkdtempSync(join(outdir, "app-")), builtinCloudFormationValidation: false, context: { ...flags, "aws:cdk:bundling-stacks": [] } });
    const template = Template.fromStack(new RunnableStack(app, "Secrets", { pipelines: [everything!], projectRoot: ROOT, stackProps: { env: { account: "123456789012", region: "eu-west-1" } } }));
    const secretStatements = (rolePrefix: string) => statementsOfRole(template, rolePrefix)
      .filter((s) => actionsOf(s).some((a) => /^(secretsmanager|ssm|kms):/.test(a)))
      .map((s) => ({ actions: actionsOf(s), resources: resourcesOf(s) }));
    // Lambda steps: the pipeline's secret (Secrets Manager; its ARN ends in six random characters) and the SSM one of `left`.
    expect(secretStatements("RunnablePipelineeverythingStepRole")).toEqual([
      { actions: ["secretsmanager:GetSecretValue"], resources: ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:db_password-??????"] },
      { actions: ["ssm:GetParameter"], resources: ["arn:aws:ssm:eu-west-1:123456789012:parameter/prod/api_key"] },
    ]);
    // Batch steps: the pipeline's secret and `right`'s own; not `left`'s.
    expect(secretStatements("RunnableBatcheverythingJobRole")).toEqual([
      { actions: ["secretsmanager:GetSecretValue"], resources: ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:db_password-??????"] },
      { actions: ["ssm:GetParameter"], resources: ["arn:aws:ssm:eu-west-1:123456789012:parameter/batch/token"] },
    ]);
    const fns = Object.entries(template.findResources("AWS::Lambda::Function")).filter(([id]) => id.startsWith("RunnablePipelineeverythingStep"));
    expect(fns.length).toBeGreaterThan(1);
    for (const [, f] of fns) expect((f.Properties as { Environment: { Variables: Json } }).Environment.Variables.RUNNABLE_SECRETS_FROM).toBe("aws");
    for (const job of Object.values(template.findResources("AWS::Batch::JobDefinition"))) {
      expect((job.Properties as { ContainerProperties: { Environment: Json[] } }).ContainerProperties.Environment).toContainEqual({ Name: "RUNNABLE_SECRETS_FROM", Value: "aws" });
    }
    // A pipeline without secrets: no secret access, no switch.
    const { template: plain } = synth(sources);
    expect(JSON.stringify(plain.toJSON())).not.toMatch(/secretsmanager|ssm:GetParameter|RUNNABLE_SECRETS_FROM/);
  });

  it("schedules a pipeline with EventBridge Scheduler → the API Lambda, whose role may invoke that function only; none without a schedule", async () => {
    const [everything] = await loadPipelineSources([join(FIXTURES, "everything.ts")]);
    const app = new App({ outdir: mkdtempSync(join(outdir, "app-")), builtinCloudFormationValidation: false, context: { ...flags, "aws:cdk:bundling-stacks": [] } });
    const template = Template.fromStack(new RunnableStack(app, "Sched", { pipelines: [everything!], projectRoot: ROOT, stackProps: { env: { account: "123456789012", region: "eu-west-1" } } }));
    const api = { "Fn::GetAtt": [logicalId(template, "AWS::Lambda::Function", "RunnableApiHandlerFunction"), "Arn"] };
    const role = logicalId(template, "AWS::IAM::Role", "RunnableSchedulesRole");
    expect(Object.values(template.findResources("AWS::Scheduler::Schedule")).map((r) => r.Properties)).toEqual([{
      Description: "runnable-ts: scheduled runs of pipeline everything",
      ScheduleExpression: "cron(0 6 ? * MON-FRI *)",
      ScheduleExpressionTimezone: "Europe/Paris",
      FlexibleTimeWindow: { Mode: "OFF" },
      State: "ENABLED",
      Target: { Arn: api, RoleArn: { "Fn::GetAtt": [role, "Arn"] }, Input: JSON.stringify({ runnable: "schedule", pipeline: "everything", scheduledTime: "<aws.scheduler.scheduled-time>" }) },
    }]);
    expect(statementsOfRole(template, "RunnableSchedulesRole").map((s) => ({ actions: actionsOf(s), resources: resourcesOf(s) })))
      .toEqual([{ actions: ["lambda:InvokeFunction"], resources: [api] }]);
    const trust = (template.findResources("AWS::IAM::Role")[role]!.Properties as { AssumeRolePolicyDocument: { Statement: Json[] } }).AssumeRolePolicyDocument.Statement;
    expect(trust).toEqual([{ Action: "sts:AssumeRole", Effect: "Allow", Principal: { Service: "scheduler.amazonaws.com" }, Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } } }]);
    const { template: plain } = synth(sources);
    expect(Object.keys(plain.findResources("AWS::Scheduler::Schedule"))).toEqual([]);
  });

  it("refuses lambda and batch defaults AWS would refuse", () => {
    const tiny = sources.filter((s) => s.built.graph.name === "tiny");
    const app = new App({ outdir: mkdtempSync(join(outdir, "app-")), builtinCloudFormationValidation: false, context: { ...flags, "aws:cdk:bundling-stacks": [] } });
    expect(() => new RunnableStack(app, "BigLambda", { pipelines: tiny, projectRoot: ROOT, lambda: { memoryMiB: 20_000 } })).toThrow(/lambda.memoryMiB 20000 is outside Lambda's 128–10240 MiB/);
    expect(() => new RunnableStack(app, "LongLambda", { pipelines: tiny, projectRoot: ROOT, lambda: { timeoutSeconds: 901 } })).toThrow(/lambda.timeoutSeconds 901/);
    expect(() => new RunnableStack(app, "OddBatch", { pipelines: tiny, projectRoot: ROOT, batch: { vcpu: 4, memoryMiB: 2048 } })).toThrow(/batch \{ vcpu: 4, memoryMiB: 2048 \} is not a Fargate size/);
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
    expect(statements.filter((st) => actionsOf(st).includes("s3:PutObject")).flatMap(resourcesOf).map((r) => JSON.stringify(r))).toEqual([expect.stringContaining("/team-a/pipelines/wide/catalog/*/.internal/map-results/*")]);
    expect(new AwsSolutionsChecks(app).validateScope(app).violations).toEqual([]);
  });

  it("adds no Batch resources when no step asks for compute: batch", () => {
    const { template } = synth(sources.filter((s) => s.built.graph.name === "tiny"));
    expect(Object.keys(template.findResources("AWS::Batch::JobQueue"))).toEqual([]);
    expect(Object.keys(template.findResources("AWS::EC2::VPC"))).toEqual([]);
  });

});
