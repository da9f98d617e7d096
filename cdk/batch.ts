import { type RemovalPolicy, Size } from "aws-cdk-lib";
import { EcsFargateContainerDefinition, EcsJobDefinition, FargateComputeEnvironment, JobQueue } from "aws-cdk-lib/aws-batch";
import { FlowLogDestination, type IVpc, SubnetType, Vpc } from "aws-cdk-lib/aws-ec2";
import { ContainerImage, CpuArchitecture, LogDriver } from "aws-cdk-lib/aws-ecs";
import { Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { LogGroup, type RetentionDays } from "aws-cdk-lib/aws-logs";
import { Platform } from "aws-cdk-lib/aws-ecr-assets";
import { Construct } from "constructs";
import type { FargateSize } from "../src/graph/resources.js";
import { isAbsolute, relative } from "node:path";
import { FROM_SOURCE, SOURCE_CONDITION, ownModule } from "../src/core/package.js";
import type { SecretGraph } from "../src/graph/types.js";
import { acknowledge } from "./nag.js";
import { grantSecrets, secretsEnvironment } from "./secrets.js";
import type { RunnableStorage } from "./storage.js";

/** Options of AWS Batch on Fargate, used only when a pipeline has `compute: "batch"` steps. */
export interface RunnableBatchOptions {
  /** vCPUs of a batch step that sets no `resources` (a Fargate size with `memoryMiB`). Default 1. */
  vcpu?: number;
  /** Memory (MiB) of a batch step that sets no `resources`. Default: the smallest `vcpu` takes, or 2048 with neither. */
  memoryMiB?: number;
  /** Upper bound of vCPUs running at once in the compute environment. Default 16. */
  maxVCpus?: number;
  /** VPC for the Fargate tasks. Default: a new 2-AZ VPC with public subnets only (no NAT gateway cost). */
  vpc?: IVpc;
  /** Dockerfile (relative to the project root) of the job image, built at deploy time. Default "Dockerfile". */
  dockerfile?: string;
}

/** One compute environment and job queue shared by every pipeline of the deployment. */
export class RunnableBatch extends Construct {
  readonly queue: JobQueue;
  readonly image: ContainerImage;
  private readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: { options: RunnableBatchOptions; projectRoot: string; removalPolicy: RemovalPolicy; logRetention: RetentionDays }) {
    super(scope, id);
    const vpc = props.options.vpc ?? this.defaultVpc(props.removalPolicy, props.logRetention);
    const ce = new FargateComputeEnvironment(this, "Compute", {
      vpc,
      vpcSubnets: { subnetType: props.options.vpc ? SubnetType.PRIVATE_WITH_EGRESS : SubnetType.PUBLIC },
      maxvCpus: props.options.maxVCpus ?? 16,
    });
    this.queue = new JobQueue(this, "Queue", { computeEnvironments: [{ computeEnvironment: ce, order: 1 }] });
    // Built from the repo at deploy time (`cdk deploy` needs Docker then; `cdk synth` only stages it).
    this.image = ContainerImage.fromAsset(props.projectRoot, {
      file: props.options.dockerfile ?? "Dockerfile",
      // x86_64: what most machines running `cdk deploy` build natively (arm64 would need emulation there).
      platform: Platform.LINUX_AMD64,
    });
    this.logGroup = new LogGroup(this, "Logs", { retention: props.logRetention, removalPolicy: props.removalPolicy });
  }

  private defaultVpc(removalPolicy: RemovalPolicy, retention: RetentionDays): IVpc {
    const flowLogs = new LogGroup(this, "FlowLogs", { retention, removalPolicy });
    return new Vpc(this, "Vpc", {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: "public", subnetType: SubnetType.PUBLIC }],
      flowLogs: { all: { destination: FlowLogDestination.toCloudWatchLogs(flowLogs) } },
    });
  }

  /**
   * The job definitions of one pipeline, one per Fargate size its batch steps use (a job definition
   * must itself be a valid size, so sizes are never mixed), sharing a job role and an execution role.
   * The container runs `handlers/batch.ts` on the request Step Functions passes.
   */
  jobDefinitions(id: string, p: { pipeline: string; pipelineFile: string; fallbackName: string; projectRoot: string; storage: RunnableStorage; sizes: Record<string, FargateSize>; secrets: readonly SecretGraph[] }): Record<string, EcsJobDefinition> {
    const inImage = relative(p.projectRoot, p.pipelineFile).split("\\").join("/");
    if (inImage.startsWith("../") || isAbsolute(inImage)) {
      throw new Error(`pipeline file ${p.pipelineFile} has batch steps but lies outside the project root ${p.projectRoot}, which is what the job image contains`);
    }
    const jobRole = new Role(this, `${id}JobRole`, { assumedBy: new ServicePrincipal("ecs-tasks.amazonaws.com") });
    p.storage.grantPipeline(jobRole, p.pipeline, ["runs", "catalog"], true,
      `A job reads and writes only objects of pipeline ${p.pipeline}'s runs (runs/ and catalog/ under its own key scope): object keys are per run and step, not known in advance.`);
    grantSecrets(jobRole, p.secrets);
    const executionRole = new Role(this, `${id}ExecutionRole`, { assumedBy: new ServicePrincipal("ecs-tasks.amazonaws.com") });
    const out: Record<string, EcsJobDefinition> = {};
    for (const [placeholder, size] of Object.entries(p.sizes)) {
      const sizeId = placeholder.slice(placeholder.indexOf("_") + 1);
      const container = new EcsFargateContainerDefinition(this, `${id}Container${sizeId}`, {
        image: this.image,
        cpu: size.vcpu,
        memory: Size.mebibytes(size.memoryMiB),
        ...(size.ephemeralStorageMiB !== undefined ? { ephemeralStorageSize: Size.mebibytes(size.ephemeralStorageMiB) } : {}),
        assignPublicIp: true,
        fargateCpuArchitecture: CpuArchitecture.X86_64,
        // The state machine passes the StepEvent in RUNNABLE_STEP_EVENT (a container override per job).
        command: batchCommand(p.projectRoot),
        environment: {
          RUNNABLE_BUCKET: p.storage.bucket.bucketName,
          RUNNABLE_PREFIX: p.storage.pipelinePrefix(p.pipeline),
          RUNNABLE_PIPELINE_FILE: inImage,
          RUNNABLE_PIPELINE_NAME: p.fallbackName,
          ...secretsEnvironment(p.secrets),
        },
        jobRole,
        executionRole,
        logging: LogDriver.awsLogs({ streamPrefix: id, logGroup: this.logGroup }),
        readonlyRootFilesystem: false,
      });
      out[placeholder] = new EcsJobDefinition(this, `${id}Job${sizeId}`, { container });
    }
    acknowledge(executionRole, "AwsSolutions-IAM5[Resource::*]", "ecr:GetAuthorizationToken supports no resource-level permissions (image pulls themselves are scoped to the asset repository).");
    return out;
  }
}

/**
 * The job container's command: the Batch handler inside the image (the project folder). Installed,
 * that is runnable-ts's compiled `dist/handlers/batch.js` under node_modules; from this repo's
 * sources, `handlers/batch.ts` through tsx.
 */
export function batchCommand(projectRoot: string): string[] {
  const entry = relative(projectRoot, ownModule("handlers/batch")).split("\\").join("/");
  return FROM_SOURCE ? ["node", "--import", "tsx", `--conditions=${SOURCE_CONDITION}`, entry] : ["node", entry];
}
