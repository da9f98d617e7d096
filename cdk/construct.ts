import { ArnFormat, CfnOutput, RemovalPolicy, Stack } from "aws-cdk-lib";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import { compile } from "../src/compile/index.js";
import { walk } from "../src/graph/index.js";
import { RunnableApi } from "./api.js";
import { RunnableBatch, type RunnableBatchOptions } from "./batch.js";
import { writeStepEntry } from "./entries.js";
import { BundledFunction } from "./lambda.js";
import { WILDCARD_REASONS, acknowledge } from "./nag.js";
import { type LambdaDefaults, type PipelineSource, lambdaSizing, tasksOf } from "./sources.js";
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
  stepFunction: BundledFunction;
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
  readonly batch: RunnableBatch | undefined;
  readonly pipelines = new Map<string, DeployedPipelineResources>();

  constructor(scope: Construct, id: string, props: RunnablePipelinesProps) {
    super(scope, id);
    if (props.pipelines.length === 0) throw new Error("RunnablePipelines needs at least one pipeline");
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
    }]));
    this.api = new RunnableApi(this, "Api", { projectRoot, storage: this.storage, pipelines: apiPipelines, removalPolicy, logRetention });

    new CfnOutput(this, "ApiUrl", { value: this.api.api.url, description: "runs API base URL (IAM auth, SigV4)" });
    new CfnOutput(this, "BucketName", { value: this.storage.bucket.bucketName, description: "bucket of run logs (runs/) and catalogs (catalog/)" });
    for (const [name, p] of this.pipelines) {
      new CfnOutput(this, `StateMachine${outputId(name)}`, { value: p.stateMachine.stateMachineArn, description: `state machine of pipeline ${name} (~${p.transitionsPerRun} state transitions per successful run)` });
    }
  }

  private deployPipeline(source: PipelineSource, o: { projectRoot: string; removalPolicy: RemovalPolicy; logRetention: RetentionDays; lambda: LambdaDefaults; batch: RunnableBatchOptions }): DeployedPipelineResources {
    const name = source.built.graph.name;
    const scope = new Construct(this, `Pipeline-${name}`);
    const sizing = lambdaSizing(source.built, o.lambda);
    const stepFunction = new BundledFunction(scope, "Step", {
      entry: writeStepEntry(o.projectRoot, `${Stack.of(this).stackName}-${name}`, source.file, source.fallbackName),
      projectRoot: o.projectRoot,
      description: `runnable-ts step handler of pipeline ${name}`,
      ...sizing,
      environment: { RUNNABLE_BUCKET: this.storage.bucket.bucketName, RUNNABLE_PREFIX: this.storage.pipelinePrefix(name), RUNNABLE_PIPELINE_NAME: source.fallbackName },
      removalPolicy: o.removalPolicy,
      logRetention: o.logRetention,
      nodeModules: source.nodeModules,
    });
    this.storage.grantPipeline(stepFunction.role, name, ["runs", "catalog"], true,
      `The step handler reads and writes only objects of pipeline ${name}'s runs (runs/ and catalog/ under its own key scope); keys are per run id and step path, not known in advance.`);

    const compiled = compile(source.built);
    const definitionText = JSON.stringify(compiled.definition);
    const substitutions: Record<string, string> = {
      StepFunctionArn: stepFunction.fn.functionArn,
      BucketName: this.storage.bucket.bucketName,
      KeyPrefix: this.storage.pipelinePrefix(name),
    };
    const batchTasks = tasksOf(source.built).filter((t) => t.compute === "batch");
    let batchGrant: { queueArn: string; jobDefinitionArn: string } | undefined;
    if (batchTasks.length > 0 && this.batch) {
      const job = this.batch.jobDefinition(outputId(name), {
        pipeline: name, pipelineFile: source.file, fallbackName: source.fallbackName, projectRoot: o.projectRoot, storage: this.storage,
        vcpu: Math.max(...batchTasks.map((t) => t.vcpu ?? o.batch.vcpu ?? 1)),
        memoryMiB: Math.max(...batchTasks.map((t) => t.memoryMiB ?? o.batch.memoryMiB ?? 2048)),
      });
      substitutions.JobQueueArn = this.batch.queue.jobQueueArn;
      substitutions.JobDefinitionArn = job.jobDefinitionArn;
      batchGrant = { queueArn: this.batch.queue.jobQueueArn, jobDefinitionArn: job.jobDefinitionArn };
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
    stateMachine.addToRolePolicy(new PolicyStatement({ actions: ["lambda:InvokeFunction"], resources: [stepFunction.fn.functionArn] }));
    if (batchGrant) this.grantBatch(stateMachine, batchGrant);
    if (stateMachineName) this.grantDistributedMap(stateMachine, stateMachineName, name);
    acknowledge(stateMachine, "AwsSolutions-IAM5[Resource::*]",
      `${WILDCARD_REASONS.logDelivery} ${WILDCARD_REASONS.xray}${batchGrant ? " batch:DescribeJobs (polled by .sync integrations) supports no resource-level permissions." : ""}`);
    return {
      stepFunction, stateMachine, definition: compiled.definition,
      substitutions: Object.fromEntries(used.map((p) => [p, substitutions[p]!])),
      transitionsPerRun: compiled.estimate.transitionsPerRun,
    };
  }

  /** What a Distributed Map needs: start/describe/stop its child executions, read its item list and write its results under its pipeline's catalog/. */
  private grantDistributedMap(stateMachine: StateMachine, stateMachineName: string, pipeline: string): void {
    const stack = Stack.of(this);
    const machineArn = stack.formatArn({ service: "states", resource: "stateMachine", resourceName: stateMachineName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const executionsArn = stack.formatArn({ service: "states", resource: "execution", resourceName: `${stateMachineName}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    stateMachine.addToRolePolicy(new PolicyStatement({ actions: ["states:StartExecution"], resources: [machineArn] }));
    stateMachine.addToRolePolicy(new PolicyStatement({ actions: ["states:DescribeExecution", "states:StopExecution"], resources: [executionsArn] }));
    this.storage.grantPipeline(stateMachine, pipeline, ["catalog"], true,
      `The Distributed Map reads its item list and writes its results under pipeline ${pipeline}'s catalog/<runId>/.internal/: keys are per run.`);
    acknowledge(stateMachine, `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${stateMachineName}:*]`,
      "Distributed Map child executions get generated names: describing/stopping them can only be scoped to this state machine's executions.");
  }

  /** What `batch:submitJob.sync` needs: submit to this queue/definition, watch and stop its jobs via the managed EventBridge rule. */
  private grantBatch(stateMachine: StateMachine, g: { queueArn: string; jobDefinitionArn: string }): void {
    const stack = Stack.of(this);
    stateMachine.addToRolePolicy(new PolicyStatement({ actions: ["batch:SubmitJob"], resources: [g.queueArn, g.jobDefinitionArn] }));
    stateMachine.addToRolePolicy(new PolicyStatement({ actions: ["batch:DescribeJobs"], resources: ["*"] }));
    stateMachine.addToRolePolicy(new PolicyStatement({
      actions: ["batch:TerminateJob"],
      resources: [stack.formatArn({ service: "batch", resource: "job", resourceName: "*" })],
    }));
    stateMachine.addToRolePolicy(new PolicyStatement({
      actions: ["events:PutTargets", "events:PutRule", "events:DescribeRule"],
      resources: [stack.formatArn({ service: "events", resource: "rule", resourceName: "StepFunctionsGetEventsForBatchJobsRule" })],
    }));
    acknowledge(stateMachine, "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:batch:<AWS::Region>:<AWS::AccountId>:job/*]",
      "Job ids are assigned at submission: TerminateJob (on timeout/abort) can only be scoped to this account's jobs.");
  }
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
