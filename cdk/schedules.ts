import { Stack } from "aws-cdk-lib";
import { PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { CfnSchedule } from "aws-cdk-lib/aws-scheduler";
import { Construct } from "constructs";
import type { ScheduledRunEvent } from "../src/api/schedules.js";
import type { RootGraph } from "../src/graph/types.js";

export interface RunnableSchedulesProps {
  /** The pipelines with a `schedule`. */
  graphs: RootGraph[];
  /** The API Lambda: it starts a scheduled run as `POST /pipelines/{name}/runs` does. */
  apiFunction: IFunction;
}

/**
 * One EventBridge Scheduler schedule per scheduled pipeline, invoking the API Lambda with a
 * `ScheduledRunEvent` (the run header must exist before the state machine starts, so a schedule
 * never targets the state machine itself). The schedules' role may invoke that function only.
 */
export class RunnableSchedules extends Construct {
  readonly role: Role;
  readonly schedules = new Map<string, CfnSchedule>();

  constructor(scope: Construct, id: string, props: RunnableSchedulesProps) {
    super(scope, id);
    const stack = Stack.of(this);
    // Confused-deputy guard: only schedules of this account assume it.
    this.role = new Role(this, "Role", {
      assumedBy: new ServicePrincipal("scheduler.amazonaws.com", { conditions: { StringEquals: { "aws:SourceAccount": stack.account } } }),
      description: "runnable-ts schedules: invoke the runs API Lambda",
    });
    this.role.addToPrincipalPolicy(new PolicyStatement({ actions: ["lambda:InvokeFunction"], resources: [props.apiFunction.functionArn] }));
    for (const graph of props.graphs) {
      const schedule = graph.schedule;
      if (!schedule) continue;
      const input: ScheduledRunEvent = { runnable: "schedule", pipeline: graph.name, scheduledTime: "<aws.scheduler.scheduled-time>" };
      this.schedules.set(graph.name, new CfnSchedule(this, `Schedule-${graph.name}`, {
        description: `runnable-ts: scheduled runs of pipeline ${graph.name}`,
        scheduleExpression: schedule.expression,
        ...(schedule.timezone ? { scheduleExpressionTimezone: schedule.timezone } : {}),
        flexibleTimeWindow: { mode: "OFF" },
        state: "ENABLED",
        target: { arn: props.apiFunction.functionArn, roleArn: this.role.roleArn, input: JSON.stringify(input) },
      }));
    }
  }
}
