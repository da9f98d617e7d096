import { ArnFormat, CfnOutput, RemovalPolicy, Stack } from "aws-cdk-lib";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import { PLACEHOLDERS, compile } from "../src/compile/index.js";
import { AWS_LIMITS_DATE, LAMBDA_LIMITS, fargateSize, walk } from "../src/graph/index.js";
import { RunnableApi } from "./api.js";
import { RunnableBatch, type RunnableBatchOptions } from "./batch.js";
import { writeStepEntry } from "./entries.js";
import { RunnableSchedules } from "./schedules.js";
import { RunnableFinaliser } from "./finaliser.js";
import { BundledFunction } from "./lambda.js";
import { grantSecrets, secretsEnvironment, secretsOn } from "./secrets.js";
import { WILDCARD_REASONS, acknowledge, acknowledgeResource } from "./nag.js";
import { type LambdaDefaults, type PipelineSource, tasksOf } from "./sources.js";
import { type RunnableBucketOptions, RunnableStorage } from "./storage.js";

/** Props of `RunnablePipelines`. */
export interface RunnablePipelinesProps {
  /** Pipelines to deploy, loaded with `loadPipelineSources(files)` (synth-time import of each file). */
  pipelines: PipelineSource[];
  /** Folder with package-lock.json (bundling) and the Dockerfile (Batch image). Default `process.cwd()`. */
  projectRoot?: string;
  /** The run bucket. Default: generated name, no prefix. */
  bucket?: RunnableBucketOptions;
  /** Step Lambda sizing for steps that set no `resources`/`timeoutSeconds`. Default 1024 MiB, 900 s. */
  lambda?: LambdaDefaults;
  /** AWS Batch on Fargate, created only when a pipeline has `compute: "batch"` steps. */
  batch?: RunnableBatchOptions;
  /** Removal policy of buckets and log groups. Default RETAIN (run logs outlive the stack). */
  removalPolicy?: RemovalPolicy;
  /** Retention of every log group. Default one month. */
  logRetention?: RetentionDays;
}

/** What was deployed for one pipeline. */
export interface DeployedPipelineResources {
  /** The default-size step function (bookkeeping actions and steps without resources). */
  stepFunction: BundledFunction;
  /** Every step function by placeholder (`StepFunctionArn`, `StepFunctionArn_m2048t150`, …). */
  stepFunctions: Record<string, BundledFunction>;
  stateMachine: StateMachine;
  /** The compiled ASL before substitution (placeholders `${…}`). */
  definition: unknown;
  /** Placeholder name → value (tokens) resolved by `definitionSubstitutions`. */
  substitutions: Record<string, string>;
  /** The compiler's estimate of state transitions (the billed unit) per successful run. */
  transitionsPerRun: number;
}

/**
 * Deploys runnable-ts pipelines: one run bucket, per pipeline a step Lambda (the pipeline module
 * bundled in) and a Standard state machine compiled from the pipeline, Batch on Fargate when some
 * step asks for it, and a REST API (IAM auth) that starts runs and reads run logs.
 * Every role gets only what its part needs (see README, "Deploy to AWS").
 */
export class RunnablePipelines extends Construct {
  readonly storage: RunnableStorage;
  readonly api: RunnableApi;
  /** Marks runs FAIL whose execution failed, timed out or was aborted outside any Catch. */
  readonly finaliser: RunnableFinaliser;
  /** EventBridge Scheduler schedules of the pipelines that have a `schedule` (none: undefined). */
  readonly schedules: RunnableSchedules | undefined;
  readonly batch: RunnableBatch | undefined;
  readonly pipelines = new Map<string, DeployedPipelineResources>();

  constructor(scope: Construct, id: string, props: RunnablePipelinesProps) {
    super(scope, id);
    if (props.pipelines.length === 0) throw new Error("RunnablePipelines needs at least one pipeline");
    checkDefaults(props);
    const projectRoot = props.projectRoot ?? process.cwd();
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;
    this.storage = new RunnableStorage(this, "Storage", { ...props.bucket, removalPolicy });
    const needsBatch = props.pipelines.some((p) => tasksOf(p.built).some((t) => t.compute === "batch"));
    this.batch = needsBatch ? new RunnableBatch(this, "Batch", { options: props.batch ?? {}, projectRoot, removalPolicy, logRetention }) : undefined;

    for (const source of props.pipelines) {
      this.pipelines.set(source.built.graph.name, this.deployPipeline(source, { projectRoot, removalPolicy, logRetention, lambda: props.lambda ?? {}, batch: props.batch ?? {} }));
    }
    const apiPipelines = Object.fromEntries(props.pipelines.map((s) => [s.built.graph.name, {
      graph: s.built.graph, defaults: s.defaults, stateMachine: this.pipelines.get(s.built.graph.name)!.stateMachine,
      stepFunction: this.pipelines.get(s.built.graph.name)!.stepFunction.fn,
    }]));
    this.api = new RunnableApi(this, "Api", { projectRoot, storage: this.storage, pipelines: apiPipelines, removalPolicy, logRetention });
    const scheduled = props.pipelines.map((s) => s.built.graph).filter((g) => g.schedule !== undefined);
    this.schedules = scheduled.length ? new RunnableSchedules(this, "Schedules", { graphs: scheduled, apiFunction: this.api.handler.fn }) : undefined;
    this.finaliser = new RunnableFinaliser(this, "Finaliser", {
      projectRoot, storage: this.storage, removalPolicy, logRetention,
      pipelines: props.pipelines.map((s) => ({ graph: s.built.graph, stateMachine: this.pipelines.get(s.built.graph.name)!.stateMachine })),
    });

    new CfnOutput(this, "ApiUrl", { value: this.api.api.url, description: "runs API base URL (IAM auth, SigV4)" });
    new CfnOutput(this, "BucketName", { value: this.storage.bucket.bucketName, description: "bucket of run logs (runs/) and catalogs (catalog/)" });
    for (const [name, p] of this.pipelines) {
      new CfnOutput(this, `StateMachine${outputId(name)}`, { value: p.stateMachine.stateMachineArn, description: `state machine of pipeline ${name} (~${p.transitionsPerRun} state transitions per successful run)` });
    }
  }

  private deployPipeline(source: PipelineSource, o: { projectRoot: string; removalPolicy: RemovalPolicy; logRetention: RetentionDays; lambda: LambdaDefaults; batch: RunnableBatchOptions }): DeployedPipelineResources {
    const name = source.built.graph.name;
    const scope = new Construct(this, `Pipeline-${name}`);
    const batchDefaults = { ...(o.batch.vcpu !== undefined ? { vcpu: o.batch.vcpu } : {}), ...(o.batch.memoryMiB !== undefined ? { memoryMiB: o.batch.memoryMiB } : {}) };
    const compiled = compile(source.built, { batchDefaults, lambdaDefaults: o.lambda });
    const definitionText = JSON.stringify(compiled.definition);
    // One function per size the steps ask for (src/compile/sizing.ts); all run the same bundle and
    // share one role. `StepFunctionArn` (the default size, every bookkeeping action) comes first.
    const entry = writeStepEntry(o.projectRoot, `${Stack.of(this).stackName}-${name}`, source.file, source.fallbackName);
    const functions: Record<string, BundledFunction> = {};
    const lambdaSecrets = secretsOn(source.built.graph, "lambda");
    for (const [placeholder, spec] of Object.entries(compiled.functions).sort(([a], [b]) => (a === PLACEHOLDERS.stepFunctionArn ? -1 : b === PLACEHOLDERS.stepFunctionArn ? 1 : a.localeCompare(b)))) {
      const suffix = placeholder.slice(PLACEHOLDERS.stepFunctionArn.length + 1);
      const shared = functions[PLACEHOLDERS.stepFunctionArn];
      functions[placeholder] = new BundledFunction(scope, `Step${suffix}`, {
        entry, projectRoot: o.projectRoot,
        description: suffix ? `runnable-ts step handler of pipeline ${name}, for steps sized ${suffix}` : `runnable-ts step handler of pipeline ${name}`,
        memoryMiB: spec.memoryMiB, timeoutSeconds: spec.timeoutSeconds, architecture: spec.architecture, ephemeralStorageMiB: spec.ephemeralStorageMiB,
        environment: { RUNNABLE_BUCKET: this.storage.bucket.bucketName, RUNNABLE_PREFIX: this.storage.pipelinePrefix(name), RUNNABLE_PIPELINE_NAME: source.fallbackName, ...secretsEnvironment(lambdaSecrets) },
        removalPolicy: o.removalPolicy,
        logRetention: o.logRetention,
        nodeModules: source.nodeModules,
        ...(shared ? { role: shared.role } : {}),
      });
    }
    const stepFunction = functions[PLACEHOLDERS.stepFunctionArn]!;
    this.storage.grantPipeline(stepFunction.role, name, ["runs", "catalog"], true,
      `The step handler reads and writes only objects of pipeline ${name}'s runs (runs/ and catalog/ under its own key scope); keys are per run id and step path, not known in advance.`);
    grantSecrets(stepFunction.role, lambdaSecrets);
    const substitutions: Record<string, string> = { BucketName: this.storage.bucket.bucketName, KeyPrefix: this.storage.pipelinePrefix(name) };
    for (const [placeholder, fn] of Object.entries(functions)) substitutions[placeholder] = fn.fn.functionArn;
    let batchGrant: { queueArn: string; jobDefinitionArns: string[] } | undefined;
    if (Object.keys(compiled.jobDefinitions).length > 0 && this.batch) {
      const jobs = this.batch.jobDefinitions(outputId(name), {
        pipeline: name, pipelineFile: source.file, fallbackName: source.fallbackName, projectRoot: o.projectRoot, storage: this.storage, sizes: compiled.jobDefinitions,
        secrets: secretsOn(source.built.graph, "batch"),
      });
      substitutions.JobQueueArn = this.batch.queue.jobQueueArn;
      for (const [placeholder, job] of Object.entries(jobs)) substitutions[placeholder] = job.jobDefinitionArn;
      batchGrant = { queueArn: this.batch.queue.jobQueueArn, jobDefinitionArns: Object.values(jobs).map((j) => j.jobDefinitionArn) };
    }
    const used = placeholdersOf(definitionText);
    const missing = used.filter((p) => !(p in substitutions));
    if (missing.length) throw new Error(`pipeline ${name}: the compiled definition uses placeholders this stack cannot resolve: ${missing.map((m) => "${" + m + "}").join(", ")}`);

    const distributed = hasDistributedMap(source);
    // A Distributed Map starts child executions of its own machine: the role must name the machine,
    // so the name is fixed up front (referencing the resource's ARN would be a circular dependency).
    const stateMachineName = distributed ? `${Stack.of(this).stackName}-${name}`.slice(0, 80) : undefined;
    const logGroup = new LogGroup(scope, "ExecutionLogs", { retention: o.logRetention, removalPolicy: o.removalPolicy });
    const stateMachine = new StateMachine(scope, "StateMachine", {
      ...(stateMachineName ? { stateMachineName } : {}),
      definitionBody: DefinitionBody.fromString(definitionText),
      definitionSubstitutions: Object.fromEntries(used.map((p) => [p, substitutions[p]!])),
      stateMachineType: StateMachineType.STANDARD,
      logs: { destination: logGroup, level: LogLevel.ALL, includeExecutionData: true },
      tracingEnabled: true,
    });
    // fromString definitions carry no grants: add exactly what the Task states call.
    stateMachine.addToRolePolicy(new PolicyStatement({ actions: ["lambda:InvokeFunction"], resources: Object.values(functions).map((f) => f.fn.functionArn) }));
    if (batchGrant) this.grantBatch(stateMachine, batchGrant);
    if (stateMachineName) this.grantDistributedMap(stateMachine, stateMachineName, distributedLabels(compiled.definition), name);
    acknowledge(stateMachine, "AwsSolutions-IAM5[Resource::*]",
      `${WILDCARD_REASONS.logDelivery} ${WILDCARD_REASONS.xray}${batchGrant ? " batch:DescribeJobs (polled by .sync integrations) supports no resource-level permissions." : ""}`);
    return {
      stepFunction, stepFunctions: functions, stateMachine, definition: compiled.definition,
      substitutions: Object.fromEntries(used.map((p) => [p, substitutions[p]!])),
      transitionsPerRun: compiled.estimate.transitionsPerRun,
    };
  }

  /**
   * What a Distributed Map needs (AWS "IAM policies for using Distributed Map states", and what CDK's
   * own DistributedMap/ResultWriterV2 grant): start its child executions, describe/stop them, redrive
   * its Map Runs (child executions `<machine>/<label>:*`), read its item list (ItemReader:
   * `catalog/<runId>/.internal/map-items/`) and write its results (ResultWriter, multipart:
   * `catalog/<runId>/.internal/map-results/`), both in its own pipeline's key scope. Nothing else of the bucket.
   */
  private grantDistributedMap(stateMachine: StateMachine, stateMachineName: string, labels: string[], pipeline: string): void {
    const stack = Stack.of(this);
    const states = (resource: string, resourceName: string) => stack.formatArn({ service: "states", resource, resourceName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const executionsArn = states("execution", `${stateMachineName}:*`);
    const redriveArns = labels.map((label) => states("execution", `${stateMachineName}/${label}:*`));
    const scope = this.storage.pipelinePrefix(pipeline);
    const itemsArn = this.storage.bucket.arnForObjects(`${scope}catalog/*/.internal/map-items/*`);
    const resultsArn = this.storage.bucket.arnForObjects(`${scope}catalog/*/.internal/map-results/*`);
    stateMachine.addToRolePolicy(new PolicyStatement({ actions: ["states:StartExecution"], resources: [states("stateMachine", stateMachineName)] }));
    stateMachine.addToRolePolicy(new PolicyStatement({ actions: ["states:DescribeExecution", "states:StopExecution"], resources: [executionsArn] }));
    stateMachine.addToRolePolicy(new PolicyStatement({ actions: ["states:RedriveExecution"], resources: redriveArns }));
    stateMachine.addToRolePolicy(new PolicyStatement({ actions: ["s3:GetObject"], resources: [itemsArn] }));
    stateMachine.addToRolePolicy(new PolicyStatement({ actions: ["s3:PutObject", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload"], resources: [resultsArn] }));
    acknowledgeResource(stateMachine, executionsArn, "Distributed Map child executions get generated names: describing/stopping them can only be scoped to this state machine's executions.");
    for (const arn of redriveArns) acknowledgeResource(stateMachine, arn, "Redriving a Map Run restarts its child executions, whose names are generated: scoped to this Map's label.");
    acknowledgeResource(stateMachine, itemsArn, "The Distributed Map reads the item list the handler wrote for this run: keys are per run id.");
    acknowledgeResource(stateMachine, resultsArn, "The Distributed Map writes its result files (multipart) for this run: keys are per run id and Map Run.");
  }

  /** What `batch:submitJob.sync` needs: submit to this queue/definition, watch and stop its jobs via the managed EventBridge rule. */
  private grantBatch(stateMachine: StateMachine, g: { queueArn: string; jobDefinitionArns: string[] }): void {
    const stack = Stack.of(this);
    stateMachine.addToRolePolicy(new PolicyStatement({ actions: ["batch:SubmitJob"], resources: [g.queueArn, ...g.jobDefinitionArns] }));
    stateMachine.addToRolePolicy(new PolicyStatement({ actions: ["batch:DescribeJobs"], resources: ["*"] }));
    stateMachine.addToRolePolicy(new PolicyStatement({
      actions: ["batch:TerminateJob"],
      resources: [stack.formatArn({ service: "batch", resource: "job", resourceName: "*" })],
    }));
    stateMachine.addToRolePolicy(new PolicyStatement({
      actions: ["events:PutTargets", "events:PutRule", "events:DescribeRule"],
      resources: [stack.formatArn({ service: "events", resource: "rule", resourceName: "StepFunctionsGetEventsForBatchJobsRule" })],
    }));
    acknowledgeResource(stateMachine, stack.formatArn({ service: "batch", resource: "job", resourceName: "*" }),
      "Job ids are assigned at submission: TerminateJob (on timeout/abort) can only be scoped to this account's jobs.");
  }
}

/** The construct's sizing defaults must themselves be sizes AWS accepts (the steps' own are checked with the graph). */
function checkDefaults(props: RunnablePipelinesProps): void {
  const { memoryMiB, timeoutSeconds } = props.lambda ?? {};
  const m = LAMBDA_LIMITS.memoryMiB;
  if (memoryMiB !== undefined && (!Number.isInteger(memoryMiB) || memoryMiB < m.min || memoryMiB > m.max)) {
    throw new Error(`RunnablePipelines lambda.memoryMiB ${memoryMiB} is outside Lambda's ${m.min}–${m.max} MiB (AWS limits of ${AWS_LIMITS_DATE})`);
  }
  if (timeoutSeconds !== undefined && (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > LAMBDA_LIMITS.timeoutSeconds.max)) {
    throw new Error(`RunnablePipelines lambda.timeoutSeconds ${timeoutSeconds} is outside Lambda's 1–${LAMBDA_LIMITS.timeoutSeconds.max} s (AWS limits of ${AWS_LIMITS_DATE})`);
  }
  const { vcpu, memoryMiB: batchMemory } = props.batch ?? {};
  if ((vcpu !== undefined || batchMemory !== undefined) && !fargateSize({ ...(vcpu !== undefined ? { vcpu } : {}), ...(batchMemory !== undefined ? { memoryMiB: batchMemory } : {}) })) {
    throw new Error(`RunnablePipelines batch { vcpu: ${vcpu}, memoryMiB: ${batchMemory} } is not a Fargate size (AWS Batch on Fargate limits of ${AWS_LIMITS_DATE}; see README "Deploy to AWS")`);
  }
}

/** The Map Run labels of a definition's Distributed Maps (nested ones included). */
function distributedLabels(definition: unknown): string[] {
  const labels: string[] = [];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === "object") {
      const o = v as Record<string, unknown>;
      if (o.Type === "Map" && typeof o.Label === "string") labels.push(o.Label);
      Object.values(o).forEach(visit);
    }
  };
  visit(definition);
  return [...new Set(labels)].sort();
}

function hasDistributedMap(source: PipelineSource): boolean {
  let found = false;
  walk(source.built.graph, (n) => {
    if (n.kind === "map" && n.distributed) found = true;
  });
  return found;
}

/** `${Name}` placeholders of a definition, sorted and unique. */
export function placeholdersOf(definitionText: string): string[] {
  return [...new Set([...definitionText.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1]!))].sort();
}

/** CloudFormation output/construct-id-safe form of a pipeline name. */
function outputId(name: string): string {
  return name.replace(/[^A-Za-z0-9]/g, "");
}
