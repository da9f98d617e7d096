import { Stack, Validations } from "aws-cdk-lib";
import type { IConstruct } from "constructs";
import { createRequire } from "node:module";

// cdk-nag's own flattening of a CloudFormation reference into its finding id (not a package export).
const { flattenCfnReference } = createRequire(import.meta.url)("cdk-nag/lib/utils/flatten-cfn-reference") as { flattenCfnReference: (ref: unknown) => string };

/**
 * Acknowledges (suppresses) one cdk-nag finding on a construct and its children. Every call site
 * gives the specific reason the rule does not apply, so the audit trail lives next to the code.
 */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/** X-Ray and CloudWatch Logs delivery APIs accept no resource-level permissions (IAM docs): `Resource: *` is required. */
export const WILDCARD_REASONS = {
  xray: "X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions; tracing needs Resource '*'.",
  logDelivery: "CloudWatch Logs vended-log delivery actions (CreateLogDelivery, …) used by Step Functions logging support no resource-level permissions.",
} as const;

/**
 * Acknowledges the IAM5 wildcard finding of one resource ARN, with the id cdk-nag will compute for it
 * in this stack: the ARN resolved as the stack resolves it (region/account tokens for a region-agnostic
 * stack, literals for one with a concrete `env`, as `cdk synth` gives), then flattened by cdk-nag's
 * own function — so the acknowledgement matches whatever the environment.
 */
export function acknowledgeResource(scope: IConstruct, arn: string, reason: string): void {
  acknowledge(scope, `AwsSolutions-IAM5[Resource::${flattenCfnReference(Stack.of(scope).resolve(arn))}]`, reason);
}
