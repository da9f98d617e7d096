import { ArnFormat, type RemovalPolicy, Stack } from "aws-cdk-lib";
import { Rule } from "aws-cdk-lib/aws-events";
import { LambdaFunction } from "aws-cdk-lib/aws-events-targets";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { RetentionDays } from "aws-cdk-lib/aws-logs";
import type { StateMachine } from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import type { RootGraph } from "../src/graph/types.js";
import { FINAL_FAILURE_STATUSES, STATUS_CHANGE_DETAIL_TYPE } from "../src/runtime/status-change.js";
import { writeFinaliserEntry } from "./entries.js";
import { BundledFunction } from "./lambda.js";
import { acknowledgeResource } from "./nag.js";
import type { RunnableStorage } from "./storage.js";

export interface RunnableFinaliserProps {
  projectRoot: string;
  storage: RunnableStorage;
  pipelines: { graph: RootGraph; stateMachine: StateMachine }[];
  removalPolicy: RemovalPolicy;
  logRetention: RetentionDays;
}

/**
 * Finalises every run whose execution ends in a way no Catch sees (FAILED outside a step — a quota,
 * an oversized payload —, TIMED_OUT, ABORTED): an EventBridge rule on "Step Functions Execution
 * Status Change" for this stack's state machines → a small Lambda that marks the run FAIL with the
 * execution's error and cause (idempotent with `@run-failed`). Least privilege: the run-log area of
 * each of the stack's pipelines (its key scope's runs/) and DescribeExecution on these machines' executions, nothing else.
 */
export class RunnableFinaliser extends Construct {
  readonly handler: BundledFunction;
  readonly rule: Rule;

  constructor(scope: Construct, id: string, props: RunnableFinaliserProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.handler = new BundledFunction(this, "Handler", {
      entry: writeFinaliserEntry(props.projectRoot, `${stack.stackName}-${this.node.id}`, Object.fromEntries(props.pipelines.map((p) => [p.graph.name, p.graph]))),
      projectRoot: props.projectRoot,
      description: "runnable-ts finaliser: marks a run FAIL when its execution fails, times out or is aborted",
      memoryMiB: 256,
      timeoutSeconds: 60,
      environment: {
        RUNNABLE_BUCKET: props.storage.bucket.bucketName,
        RUNNABLE_PREFIX: props.storage.prefix,
        RUNNABLE_STATE_MACHINES: stack.toJsonString(Object.fromEntries(props.pipelines.map((p) => [p.graph.name, p.stateMachine.stateMachineArn]))),
      },
      removalPolicy: props.removalPolicy,
      logRetention: props.logRetention,
    });
    for (const p of props.pipelines) {
      props.storage.grantPipeline(this.handler.role, p.graph.name, ["runs"], true,
        `The finaliser reads a run's records and writes its execution end under pipeline ${p.graph.name}'s runs/<runId>/: run ids are not known in advance.`);
    }
    // The error and cause of an execution whose event carries none.
    const executions = props.pipelines.map((p) => stack.formatArn({
      service: "states", resource: "execution", resourceName: `${p.stateMachine.stateMachineName}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    }));
    this.handler.role.addToPrincipalPolicy(new PolicyStatement({ actions: ["states:DescribeExecution"], resources: executions }));
    for (const arn of executions) acknowledgeResource(this.handler.role, arn, "Execution names are run ids, not known in advance: DescribeExecution is scoped to this stack's state machines.");

    this.rule = new Rule(this, "Rule", {
      description: "runnable-ts: finalise runs whose execution failed, timed out or was aborted",
      eventPattern: {
        source: ["aws.states"],
        detailType: [STATUS_CHANGE_DETAIL_TYPE],
        detail: { status: [...FINAL_FAILURE_STATUSES], stateMachineArn: props.pipelines.map((p) => p.stateMachine.stateMachineArn) },
      },
      // EventBridge retries a failed invocation (e.g. S3 briefly unavailable) for up to a day.
      targets: [new LambdaFunction(this.handler.fn)],
    });
  }
}
