import { Token, Validations, type Stack } from "aws-cdk-lib";
import type { IConstruct } from "constructs";

/**
 * Acknowledges (suppresses) one cdk-nag finding on a construct and its children. Every call site
 * gives the specific reason the rule does not apply, so the audit trail lives next to the code.
 */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/**
 * An ARN of this stack's account as cdk-nag writes it in a finding id: pseudo parameters that are
 * still tokens appear as `<AWS::Partition>`, `<AWS::Region>`, `<AWS::AccountId>`; resolved ones (a
 * stack with an env, e.g. `cdk synth` filling CDK_DEFAULT_REGION) as their values.
 */
export function findingArn(stack: Stack, service: string, resource: string): string {
  const part = (value: string, name: string) => (Token.isUnresolved(value) ? `<AWS::${name}>` : value);
  return `arn:${part(stack.partition, "Partition")}:${service}:${part(stack.region, "Region")}:${part(stack.account, "AccountId")}:${resource}`;
}

/** X-Ray and CloudWatch Logs delivery APIs accept no resource-level permissions (IAM docs): `Resource: *` is required. */
export const WILDCARD_REASONS = {
  xray: "X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions; tracing needs Resource '*'.",
  logDelivery: "CloudWatch Logs vended-log delivery actions (CreateLogDelivery, …) used by Step Functions logging support no resource-level permissions.",
} as const;
